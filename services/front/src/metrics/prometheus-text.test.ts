import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from './prometheus-text.ts';

describe('parsePrometheusText', () => {
  it('reads names, labels and values, ignoring HELP and TYPE comments', () => {
    const text = [
      '# HELP http_server_requests_total HTTP requests served.',
      '# TYPE http_server_requests_total counter',
      'http_server_requests_total{method="GET",route="/back/api/tracks",status="200",app="back",version="v1"} 42',
      'process_cpu_seconds_total 1.5e-3',
      '',
    ].join('\n');
    expect(parsePrometheusText(text)).toEqual([
      {
        name: 'http_server_requests_total',
        labels: { method: 'GET', route: '/back/api/tracks', status: '200', app: 'back', version: 'v1' },
        value: 42,
      },
      { name: 'process_cpu_seconds_total', labels: {}, value: 0.0015 },
    ]);
  });

  it('unescapes quotes, backslashes and newlines in label values and allows spaces and a trailing comma', () => {
    const [sample] = parsePrometheusText('m{ a = "say \\"hi\\"" , b="C:\\\\dir", c="one\\ntwo", } 1\n');
    expect(sample?.labels).toEqual({ a: 'say "hi"', b: 'C:\\dir', c: 'one\ntwo' });
  });

  it('keeps braces and commas that sit inside quoted label values', () => {
    const [sample] = parsePrometheusText('m{route="/a/{id},x"} 3');
    expect(sample).toEqual({ name: 'm', labels: { route: '/a/{id},x' }, value: 3 });
  });

  it('reads +Inf, -Inf and NaN values, and bucket bounds stay text', () => {
    const samples = parsePrometheusText('a +Inf\nb -Inf\nc NaN\nh_bucket{le="+Inf"} 7');
    expect(samples.map((s) => s.value)).toEqual([
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      7,
    ]);
    expect(samples[3]?.labels.le).toBe('+Inf');
  });

  it('accepts an optional millisecond timestamp and Windows line endings', () => {
    expect(parsePrometheusText('up 1 1700000000000\r\ndown 0\r\n')).toEqual([
      { name: 'up', labels: {}, value: 1 },
      { name: 'down', labels: {}, value: 0 },
    ]);
  });

  it('skips malformed lines and keeps the good ones', () => {
    const text = [
      'good 1',
      'm{a="unterminated} 1',
      'm{a=1} 2',
      'novalue',
      'm 1 2 3',
      'm abc',
      '9bad 1',
      'fine{} 2',
    ].join('\n');
    expect(parsePrometheusText(text)).toEqual([
      { name: 'good', labels: {}, value: 1 },
      { name: 'fine', labels: {}, value: 2 },
    ]);
  });
});
