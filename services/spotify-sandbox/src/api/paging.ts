export interface PageRequest {
  origin: string;
  q: string;
  type: string;
  limit: number;
  offset: number;
}

/**
 * Spotify's offset paging object. `next` and `previous` are full URLs (null at either end), and
 * `next` stops where Spotify's offset ceiling of 1000 would refuse the call.
 */
export function pagingObject<T>(found: readonly T[], page: PageRequest, render: (item: T) => unknown) {
  const { limit, offset } = page;
  const url = (at: number) => {
    const params = new URLSearchParams({
      offset: String(at),
      limit: String(limit),
      query: page.q,
      type: page.type,
    });
    return `${page.origin}/v1/search?${params}`;
  };
  const nextOffset = offset + limit;
  return {
    href: url(offset),
    items: found.slice(offset, nextOffset).map(render),
    limit,
    next: nextOffset < found.length && nextOffset <= 1000 ? url(nextOffset) : null,
    offset,
    previous: offset > 0 ? url(Math.max(0, offset - limit)) : null,
    total: found.length,
  };
}
