import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp } from './app.ts';

let app: FastifyInstance;
let base: URL;

beforeAll(async () => {
  app = createServiceApp({ bodyLimit: 64 });
  app.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.post('/items', async () => ({ ok: true }));
  base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
});

afterAll(() => app?.close());

/** Sends raw bytes and reads until the server closes or the answer is complete. */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(base.port), base.hostname, () => socket.write(bytes));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

async function expectProblem(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(await response.json()).toMatchObject({ status });
}

describe('errors of the framework and of Node', () => {
  it('answers problem+json 400 to a malformed percent-encoding in the path', async () => {
    await expectProblem(await fetch(new URL('/items/%E0%A4%A', base)), 400);
  });

  it('answers problem+json to a path parameter over the length limit, an unknown route, a wrong type and a big body', async () => {
    const long = await fetch(new URL(`/items/${'x'.repeat(500)}`, base));
    expect(long.status).toBeGreaterThanOrEqual(400);
    expect(long.status).toBeLessThan(500);
    expect(long.headers.get('content-type')).toContain('application/problem+json');
    await expectProblem(await fetch(new URL('/nowhere', base)), 404);
    const post = (body: string, type: string) =>
      fetch(new URL('/items', base), { method: 'POST', body, headers: { 'content-type': type } });
    await expectProblem(await post('x', 'text/plain'), 415);
    await expectProblem(await post(JSON.stringify({ a: 'y'.repeat(200) }), 'application/json'), 413);
    await expectProblem(await post('{', 'application/json'), 400);
  });

  it.each([
    ['an unknown method', 'FOO / HTTP/1.1\r\nhost: x\r\n\r\n', 400],
    ['a malformed request line', 'GET\r\n\r\n', 400],
    ['a header without a colon', 'GET / HTTP/1.1\r\nhost x\r\n\r\n', 400],
    ['a head over the size limit', `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ])('answers problem+json to %s, then keeps serving', async (_name, bytes, status) => {
    const answer = await raw(bytes);
    expect(answer).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(answer.toLowerCase()).toContain('content-type: application/problem+json');
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { status: number };
    expect(body.status).toBe(status);
    expect((await fetch(new URL('/items/1', base))).status).toBe(200);
  });
});
