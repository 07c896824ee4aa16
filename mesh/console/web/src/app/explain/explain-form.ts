/** The explain form as the page keeps it, and as its URL query carries it. */
export interface HeaderRow {
  readonly name: string;
  readonly value: string;
}

export interface ExplainForm {
  readonly url: string;
  readonly method: string;
  readonly headers: readonly HeaderRow[];
  /** A workload (`back-v1` or `music/back-v1`) sending the request inside the mesh; '' = through the ingress. */
  readonly from: string;
}

/** What the runtime's explain takes: a request as a client would send it. */
export interface ExplainBody {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly from?: string;
}

/** The query as the router hands it: a repeated `h` is a list. */
export interface ExplainQuery {
  readonly url?: string | undefined;
  readonly method?: string | undefined;
  readonly h?: string | readonly string[] | undefined;
  readonly from?: string | undefined;
}

export const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** RFC 9110's token: what a header name may be made of. */
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A path (`/back/tracks`, as the graph's traces link it) sent to the ingress: the API takes only
 * whole URLs. Anything else is left as typed, for `checkForm` to judge.
 */
export function completeUrl(url: string, ingressUrl: string | undefined): string {
  const trimmed = url.trim();
  if (!trimmed.startsWith('/') || trimmed.startsWith('//') || ingressUrl === undefined) return trimmed;
  return `${ingressUrl.replace(/\/+$/, '')}${trimmed}`;
}

/** The form a link opens: `?url=…&method=…&h=name:value&from=…`; undefined when it names no URL. */
export function formFromQuery(query: ExplainQuery, ingressUrl: string | undefined): ExplainForm | undefined {
  if (query.url === undefined || query.url.trim() === '') return undefined;
  const lines = query.h === undefined ? [] : typeof query.h === 'string' ? [query.h] : query.h;
  return {
    url: completeUrl(query.url, ingressUrl),
    method: (query.method ?? 'GET').trim().toUpperCase() || 'GET',
    headers: lines.map(headerOfLine),
    from: (query.from ?? '').trim(),
  };
}

/** The query that opens the form again (rows without a name are dropped, as the request would). */
export function queryOfForm(form: ExplainForm): Record<string, string | string[] | null> {
  const rows = form.headers.filter((row) => row.name.trim() !== '');
  return {
    url: form.url.trim(),
    method: form.method === 'GET' ? null : form.method,
    h: rows.length === 0 ? null : rows.map((row) => `${row.name.trim()}:${row.value}`),
    from: form.from.trim() === '' ? null : form.from.trim(),
  };
}

/** `x-canary: true` → name `x-canary`, value `true` (the value's leading blanks are the separator's). */
function headerOfLine(line: string): HeaderRow {
  const colon = line.indexOf(':');
  if (colon === -1) return { name: line.trim(), value: '' };
  return { name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trimStart() };
}

/**
 * The request body for the form, or what is wrong with it, naming the field: the runtime would
 * explain a URL without its scheme as a request for no host at all.
 */
export function checkForm(form: ExplainForm): { body: ExplainBody } | { problem: string } {
  const url = form.url.trim();
  if (url === '') return { problem: 'URL: is required, e.g. http://localhost:8080/back/tracks' };
  if (!/^https?:\/\/[^/?#]/i.test(url))
    return {
      problem: `URL: needs its scheme, http:// or https:// (got ${url}; e.g. http://${url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^\/+/, '')})`,
    };
  if (!(methods as readonly string[]).includes(form.method))
    return { problem: `Method: ${form.method} is not one of ${methods.join(', ')}` };
  const headers: Record<string, string> = {};
  for (const [i, row] of form.headers.entries()) {
    const name = row.name.trim();
    if (name === '') continue;
    if (!token.test(name))
      return { problem: `Header ${i + 1} name: "${name}" is not a header name (letters, digits and -)` };
    if (/[\r\n\0]/.test(row.value)) return { problem: `Header ${i + 1} value: must be one line` };
    headers[name.toLowerCase()] = row.value;
  }
  const from = form.from.trim();
  if (from !== '' && !/^([a-z0-9-]+\/)?[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(from))
    return { problem: `From workload: "${from}" is not a Deployment name (back-v1 or music/back-v1)` };
  return { body: { url, method: form.method, headers, ...(from === '' ? {} : { from }) } };
}
