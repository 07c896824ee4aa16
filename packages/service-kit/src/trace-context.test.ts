import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { traceHeaderNames, traceHeaders } from './trace-context.ts';

describe('traceHeaders', () => {
  it('picks the tracing headers Bookinfo propagates and nothing else', () => {
    const picked = traceHeaders({
      headers: {
        'x-request-id': '9f69865b-eed1-409b-8c12-12436234a191',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
        'x-b3-spanid': 'e457b5a2e4d86bd1',
        'x-b3-sampled': '1',
        authorization: 'Bearer secret',
        cookie: 'session=1',
        host: 'back:8080',
        'content-length': '12',
      },
    });
    expect(picked).toEqual({
      'x-request-id': '9f69865b-eed1-409b-8c12-12436234a191',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
      'x-b3-spanid': 'e457b5a2e4d86bd1',
      'x-b3-sampled': '1',
    });
  });

  it('returns nothing for a request without tracing headers, and joins repeated ones', () => {
    expect(traceHeaders({ headers: { accept: 'application/json' } })).toEqual({});
    expect(traceHeaders({ headers: { tracestate: ['a=1', 'b=2'] } })).toEqual({ tracestate: 'a=1,b=2' });
    expect(traceHeaders({ headers: { 'x-request-id': '' } })).toEqual({});
  });

  it('covers the W3C, B3 (multi and single), Lightstep, Cloud Trace and gRPC headers', () => {
    for (const name of [
      'x-request-id',
      'traceparent',
      'tracestate',
      'x-b3-traceid',
      'x-b3-spanid',
      'x-b3-parentspanid',
      'x-b3-sampled',
      'x-b3-flags',
      'b3',
      'x-ot-span-context',
      'x-cloud-trace-context',
      'grpc-trace-bin',
    ]) {
      expect(traceHeaderNames).toContain(name);
    }
  });

  it('reads a Fastify request, whatever the case the client sent', async () => {
    const app = Fastify();
    app.get('/', async (request) => traceHeaders(request));
    const response = await app.inject({
      url: '/',
      headers: { 'X-Request-Id': 'abc', 'X-B3-TraceId': '0af7651916cd43dd8448eb211c80319c', B3: '1' },
    });
    expect(response.json()).toEqual({
      'x-request-id': 'abc',
      'x-b3-traceid': '0af7651916cd43dd8448eb211c80319c',
      b3: '1',
    });
    await app.close();
  });
});
