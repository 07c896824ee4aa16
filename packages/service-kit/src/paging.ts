import { type Static, Type } from 'typebox';

/** Keeps `page * size` far inside PostgreSQL's bigint offset and JavaScript's safe integers. */
export const MAX_PAGE = 10_000_000;

/** `?page=0&size=20&sort=title,asc`, as Spring Data and JHipster clients send it. */
export function pageQuery<const F extends readonly string[]>(
  sortFields: F,
  defaultSort: `${F[number]},${'asc' | 'desc'}`,
) {
  const pattern = `^(${sortFields.join('|')})(,(asc|desc))?$`;
  return Type.Object(
    {
      page: Type.Integer({ minimum: 0, maximum: MAX_PAGE, default: 0 }),
      size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
      sort: Type.String({ pattern, default: defaultSort }),
    },
    { additionalProperties: true },
  );
}

export type PageQuery = Static<ReturnType<typeof pageQuery>>;

export interface Sort<F extends string> {
  field: F;
  direction: 'asc' | 'desc';
}

export function parseSort<F extends string>(sort: string): Sort<F> {
  const [field, direction] = sort.split(',');
  return { field: field as F, direction: direction === 'desc' ? 'desc' : 'asc' };
}

/** RFC 8288 `Link` header with first/prev/next/last, keeping the other query parameters. */
export function linkHeader(
  path: string,
  query: Record<string, unknown>,
  page: number,
  size: number,
  total: number,
): string {
  const last = Math.max(0, Math.ceil(total / size) - 1);
  const url = (p: number) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (key !== 'page' && key !== 'size' && value !== undefined) params.set(key, String(value));
    }
    params.set('page', String(p));
    params.set('size', String(size));
    return `<${path}?${params}>`;
  };
  const links = [`${url(0)}; rel="first"`];
  if (page > 0) links.push(`${url(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) links.push(`${url(page + 1)}; rel="next"`);
  links.push(`${url(last)}; rel="last"`);
  return links.join(', ');
}
