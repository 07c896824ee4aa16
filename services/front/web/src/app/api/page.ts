import { type HttpHeaders, HttpParams } from '@angular/common/http';
import type { PageEvent } from '@angular/material/paginator';
import type { Sort, SortDirection } from '@angular/material/sort';
import type { Params } from '@angular/router';

/** What a paged table asks for; `sort` is `field,asc|desc` or empty (docs/api.md, Paging). */
export interface PageQuery {
  readonly page: number;
  readonly size: number;
  readonly sort: string;
}

export const firstPage: PageQuery = { page: 0, size: 20, sort: '' };

export const pageSizes = [10, 20, 50, 100];

/** `page`, `size` and `sort` as they stand in a list's URL (`/tracks?page=2&size=50&sort=title,asc`). */
export interface PageUrlParams {
  readonly page?: string | undefined;
  readonly size?: string | undefined;
  readonly sort?: string | undefined;
}

const sortParam = /^[A-Za-z]+,(asc|desc)$/;

/** The query a list's URL asks for; a value the list would not offer falls back to the first page's. */
export function pageQueryFromUrl(params: PageUrlParams): PageQuery {
  const page = Number(params.page);
  const size = Number(params.size);
  return {
    page: Number.isSafeInteger(page) && page >= 0 ? page : firstPage.page,
    size: pageSizes.includes(size) ? size : firstPage.size,
    sort: sortParam.test(params.sort ?? '') ? (params.sort ?? '') : firstPage.sort,
  };
}

/** The URL's query params for a query, first-page values left out (null removes them on merge). */
export function pageUrlParams(query: PageQuery): Params {
  return {
    page: query.page === firstPage.page ? null : query.page,
    size: query.size === firstPage.size ? null : query.size,
    sort: query.sort === firstPage.sort ? null : query.sort,
  };
}

/** The column and direction a `field,direction` sort names, for MatSort to show after a reload. */
export function sortState(query: PageQuery): { active: string; direction: SortDirection } {
  const [active = '', direction = ''] = query.sort.split(',');
  return { active, direction: direction === 'asc' || direction === 'desc' ? direction : '' };
}

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
