/** RFC 8288 `Link` with first/prev/next/last for offset paging, keeping the query. */
export function offsetLinkHeader(
  path: string,
  q: string,
  limit: number,
  offset: number,
  total: number,
): string {
  const lastOffset = Math.min(1000, Math.max(0, Math.floor((total - 1) / limit) * limit));
  const url = (at: number) =>
    `<${path}?${new URLSearchParams({ q, limit: String(limit), offset: String(at) })}>`;
  const links = [`${url(0)}; rel="first"`];
  if (offset > 0) links.push(`${url(Math.max(0, Math.min(offset - limit, lastOffset)))}; rel="prev"`);
  if (offset + limit < total && offset + limit <= lastOffset)
    links.push(`${url(offset + limit)}; rel="next"`);
  links.push(`${url(lastOffset)}; rel="last"`);
  return links.join(', ');
}
