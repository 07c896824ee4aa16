import type { Probe } from '../probe.ts';
import { type RawRequest, sendRaw } from '../raw-request.ts';

const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;
const chunkedPost = (body: string): RawRequest => ({
  chunks: [
    head([
      'POST /back/api/tracks HTTP/1.1',
      'Host: music',
      'Content-Type: application/json',
      'Transfer-Encoding: chunked',
    ]),
    body,
  ],
  finish: 'wait',
});

/** The inputs that ended the runtime or hung its listeners in the issue's probe, and kin. */
const kinds: Record<string, RawRequest> = {
  'negative chunk size': chunkedPost('-3\r\nabc\r\n0\r\n\r\n'),
  'oversize chunk size': chunkedPost('FFFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n'),
  'chunk without CRLF': chunkedPost('5\r\nhelloXX0\r\n\r\n'),
  'bare-LF head': { chunks: ['GET /back/api/tracks HTTP/1.1\nHost: music\n\n'], finish: 'wait' },
  'oversize head': {
    chunks: [head(['GET / HTTP/1.1', 'Host: music', `X-Big: ${'a'.repeat(128 * 1024)}`])],
    finish: 'wait',
  },
  'unknown method': { chunks: [head(['BREW / HTTP/1.1', 'Host: music'])], finish: 'wait' },
  'garbage bytes': {
    chunks: [Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03])],
    finish: 'wait',
  },
  'early close in the head': { chunks: ['GET /back/api/tracks HTTP/1.1\r\nHost: mu'], finish: 'end' },
  'reset mid-body': {
    chunks: [head(['POST /back/api/tracks HTTP/1.1', 'Host: music', 'Content-Length: 1000']), '{"title":'],
    finish: 'reset',
  },
  '2 MB body cut short, Connection: close': {
    chunks: [
      head([
        'POST /back/api/tracks HTTP/1.1',
        'Host: music',
        'Content-Type: application/json',
        'Connection: close',
        `Content-Length: ${2 * 1024 * 1024}`,
      ]),
      Buffer.alloc(1024 * 1024, 'a'),
    ],
    finish: 'end',
  },
};

const perKind = 30;
const concurrency = 10;
const timeoutMs = 5000;

/** 300 malformed requests at the ingress, 10 at a time: none may end it or answer 5xx. */
export const malformedStorm: Probe = {
  name: 'malformed-storm',
  title: 'malformed-request storm at the ingress',
  async run({ stack }) {
    const { hostname, port } = new URL(stack.url);
    const queue = Object.entries(kinds).flatMap(([name, request]) =>
      Array.from({ length: perKind }, () => ({ name, request })),
    );
    const outcomes = new Map<string, Map<string, number>>();
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const outcome = await sendRaw(hostname, Number(port), item.request, timeoutMs);
        const byOutcome = outcomes.get(item.name) ?? new Map<string, number>();
        byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
        outcomes.set(item.name, byOutcome);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const serverErrors = [...outcomes.values()].flatMap((m) => [...m]).filter(([o]) => /^5/.test(o));
    const described = [...outcomes]
      .map(([name, m]) => `${name}: ${[...m].map(([o, count]) => `${count}×${o}`).join(' ')}`)
      .join('; ');
    return {
      detail: `${Object.keys(kinds).length * perKind} malformed requests (${described})`,
      ok: serverErrors.length === 0,
    };
  },
};
