import { describe, expect, it } from 'vitest';
import { checkForm, completeUrl, type ExplainForm, formFromQuery, queryOfForm } from './explain-form';

const ingress = 'http://localhost:8080';

describe('completeUrl', () => {
  it('sends a path, as the graph’s traces link it, to the ingress', () => {
    expect(completeUrl('/back/tracks?page=2', ingress)).toBe('http://localhost:8080/back/tracks?page=2');
    expect(completeUrl('/back', 'http://localhost:8080/')).toBe('http://localhost:8080/back');
  });

  it('leaves whole URLs, scheme-relative ones and paths without a known ingress alone', () => {
    expect(completeUrl(' http://back:8080/tracks ', ingress)).toBe('http://back:8080/tracks');
    expect(completeUrl('//evil.example/x', ingress)).toBe('//evil.example/x');
    expect(completeUrl('/back', undefined)).toBe('/back');
  });
});

describe('the form in the URL query', () => {
  const form: ExplainForm = {
    url: 'http://localhost:8080/back/tracks',
    method: 'POST',
    headers: [
      { name: 'x-canary', value: 'true' },
      { name: 'cookie', value: 'a=b: c' },
      { name: '', value: 'dropped' },
    ],
    from: 'back-v1',
  };

  it('survives the round trip (rows without a name dropped)', () => {
    const query = queryOfForm(form);
    expect(query).toEqual({
      url: 'http://localhost:8080/back/tracks',
      method: 'POST',
      h: ['x-canary:true', 'cookie:a=b: c'],
      from: 'back-v1',
    });
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      for (const v of value === null ? [] : [value].flat()) params.append(name, v);
    expect(
      formFromQuery(
        {
          url: params.get('url') ?? undefined,
          method: params.get('method') ?? undefined,
          h: params.getAll('h'),
          from: params.get('from') ?? undefined,
        },
        ingress,
      ),
    ).toEqual({ ...form, headers: form.headers.slice(0, 2) });
  });

  it('leaves the defaults out of the query: GET, no headers, through the ingress', () => {
    expect(queryOfForm({ url: 'http://a/', method: 'GET', headers: [], from: ' ' })).toEqual({
      url: 'http://a/',
      method: null,
      h: null,
      from: null,
    });
  });

  it('opens a path-only link on the ingress, with one header and the method in any case', () => {
    expect(formFromQuery({ url: '/back/tracks', method: 'get', h: 'x-canary: true' }, ingress)).toEqual({
      url: 'http://localhost:8080/back/tracks',
      method: 'GET',
      headers: [{ name: 'x-canary', value: 'true' }],
      from: '',
    });
  });

  it('opens nothing without a URL', () => {
    expect(formFromQuery({}, ingress)).toBeUndefined();
    expect(formFromQuery({ url: ' ', method: 'GET' }, ingress)).toBeUndefined();
  });
});

describe('checkForm', () => {
  const base: ExplainForm = {
    url: 'http://localhost:8080/back/tracks',
    method: 'GET',
    headers: [],
    from: '',
  };

  it('sends the request with lower-case header names and the workload when one is named', () => {
    expect(
      checkForm({
        ...base,
        headers: [
          { name: 'X-Canary', value: 'true' },
          { name: ' ', value: '' },
        ],
        from: 'music/back-v1',
      }),
    ).toEqual({
      body: { url: base.url, method: 'GET', headers: { 'x-canary': 'true' }, from: 'music/back-v1' },
    });
    expect(checkForm(base)).toEqual({ body: { url: base.url, method: 'GET', headers: {} } });
  });

  it('names the field that is wrong', () => {
    const problem = (form: Partial<ExplainForm>) => {
      const checked = checkForm({ ...base, ...form });
      return 'problem' in checked ? checked.problem : undefined;
    };
    expect(problem({ url: '' })).toMatch(/^URL: is required/);
    expect(problem({ url: 'localhost:8080/back' })).toBe(
      'URL: needs its scheme, http:// or https:// (got localhost:8080/back; e.g. http://localhost:8080/back)',
    );
    expect(problem({ url: 'ftp://host/x' })).toMatch(/^URL: needs its scheme/);
    expect(problem({ method: 'FROB' })).toBe(
      'Method: FROB is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
    );
    expect(
      problem({
        headers: [
          { name: 'ok', value: '1' },
          { name: 'bad name', value: '' },
        ],
      }),
    ).toMatch(/^Header 2 name: "bad name" is not a header name/);
    expect(problem({ headers: [{ name: 'x', value: 'a\r\nb' }] })).toBe('Header 1 value: must be one line');
    expect(problem({ from: 'Back V1' })).toMatch(/^From workload: "Back V1" is not a Deployment name/);
  });
});
