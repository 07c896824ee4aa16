import { type HttpHeaders, HttpParams } from '@angular/common/http';
import type { PageEvent } from '@angular/material/paginator';
import type { Sort } from '@angular/material/sort';

/** What a paged table asks for; `sort` is `field,asc|desc` or empty (docs/api.md, Paging). */
export interface PageQuery {
  readonly page: number;
  readonly size: number;
  readonly sort: string;
}

export const firstPage: PageQuery = { page: 0, size: 20, sort: '' };

export const pageSizes = [10, 20, 50, 100];

export function pageParams(query: PageQuery): HttpParams {
  const params = new HttpParams().set('page', query.page).set('size', query.size);
  return query.sort === '' ? params : params.set('sort', query.sort);
}

export function totalCount(headers: HttpHeaders | undefined): number {
  return Number(headers?.get('X-Total-Count') ?? 0);
}

export function withPage(query: PageQuery, event: PageEvent): PageQuery {
  return { ...query, page: event.pageIndex, size: event.pageSize };
}

/** A new sort starts again from the first page. */
export function withSort(query: PageQuery, sort: Sort): PageQuery {
  return { ...query, page: 0, sort: sort.direction === '' ? '' : `${sort.active},${sort.direction}` };
}
