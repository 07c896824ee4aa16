import { computed, inject, type Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ActivatedRoute, Router } from '@angular/router';
import { type PageQuery, pageQueryFromUrl, pageUrlParams } from './page';

export interface UrlPageQuery {
  /** The page, size and sort the URL asks for. */
  readonly query: Signal<PageQuery>;
  /** Puts a new query in the URL (a history entry, so Back returns to the previous page). */
  set(query: PageQuery): void;
}

/**
 * A list's paging and sort kept in its URL's query params, so a reload, Back and a shared link show
 * the same page. Other query params are kept. Needs an injection context.
 */
export function urlPageQuery(): UrlPageQuery {
  const router = inject(Router);
  const route = inject(ActivatedRoute);
  const params = toSignal(route.queryParamMap, { requireSync: true });
  const query = computed(() => {
    const url = params();
    return pageQueryFromUrl({
      page: url.get('page') ?? undefined,
      size: url.get('size') ?? undefined,
      sort: url.get('sort') ?? undefined,
    });
  });
  return {
    query,
    set: (next) =>
      void router.navigate([], {
        relativeTo: route,
        queryParams: pageUrlParams(next),
        queryParamsHandling: 'merge',
      }),
  };
}
