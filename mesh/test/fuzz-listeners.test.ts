/**
 * A seeded, bounded fuzzer for the listeners: malformed heads, bodies, chunk framings, early
 * closes and resets thrown at the ingress and at an outbound (sidecar) listener in front of a real
 * upstream. After each batch the listener must still answer a normal request, and no request it
 * could parse may have got a 5xx. The seed is in the test's name; `FUZZ_SEED=<n>` replays a run and
 * `FUZZ_INPUTS=<n>` changes how many inputs each listener gets (default 1000).
 * The HTTPS Gateway listener gets TLS-level inputs too: malformed records, random bytes before and
 * after a real ClientHello, half-open and reset handshakes, garbage injected into an established
 * TLS stream, and the HTTP inputs inside TLS.
 * Inputs that found bugs live as exact bytes in listener-regressions.test.ts.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole } from '../console/src/server.ts';
import { startTelemetry } from '../src/telemetry/server.ts';
import { type HttpsIngress, startHttpsIngress } from './support/https-ingress.ts';
import {
  gateway,
  get,
  type Mesh,
  services,
  startMesh,
  startUpstream,
  type Upstream,
} from './support/mesh-harness.ts';

const seed = Number(process.env.FUZZ_SEED ?? 20261202);
const inputs = Number(process.env.FUZZ_INPUTS ?? 1000);
const batch = 100;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function random(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Ending = 'wait' | 'end' | 'reset' | 'cut';

interface Input {
  readonly bytes: Buffer;
  readonly ending: Ending;
}

function generator(next: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const int = (max: number) => Math.floor(next() * max);
  const methods = [
    'GET',
    'POST',
    'PUT',
    'HEAD',
    'DELETE',
    'OPTIONS',
    'PATCH',
    'CONNECT',
    'FOO',
    'G\x00T',
    '',
  ];
  const targets = [
    '/',
    '/echo',
    '/echo?a=1',
    '*',
    'http://echo/echo',
    '//x',
    '/%00',
    '/a b',
    `/${'a'.repeat(9000)}`,
    '',
  ];
  const versions = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'HTTP/9', 'http/1.1', ''];
  const eols = ['\r\n', '\r\n', '\r\n', '\n', '\r', '\r\r\n'];
  const chunkSizes = [
    '3',
    '-3',
    'FFFFFFFFFFFFFFFFFFFF',
    '0x3',
    '3;ext=1',
    ' 3',
    '3 ',
    '',
    'zz',
    '1000000',
    '7fffffff',
  ];
  const headers = [
    'Host: echo',
    'Host: echo',
    'Content-Length: 3',
    'Content-Length: -1',
    'Content-Length: 99999999999999999999',
    'Content-Length: 3, 4',
    'Transfer-Encoding: chunked',
    'Transfer-Encoding: gzip, chunked',
    'Transfer-Encoding: identity',
    'Connection: close',
    'Connection: keep-alive, Upgrade',
    'Upgrade: websocket',
    'Expect: 100-continue',
    'Expect: nothing',
    ' folded',
    'X: \x00',
    'Bad Name: x',
    ': empty',
    `X-Long: ${'v'.repeat(int(70_000))}`,
  ];
  const body = (): string => {
    switch (int(4)) {
      case 0:
        return 'abc';
      case 1: {
        let out = '';
        for (let i = int(4); i > 0; i--)
          out += `${pick(chunkSizes)}${pick(eols)}${'x'.repeat(int(8))}${pick(eols)}`;
        return `${out}${pick(['0\r\n\r\n', '0\r\nTrailer: t\r\n\r\n', '0\r\n', ''])}`;
      }
      case 2:
        return 'x'.repeat(int(200_000));
      default:
        return '';
    }
  };
  const framings = [
    'Transfer-Encoding: chunked\r\n',
    'Transfer-Encoding: chunked\r\n',
    'Content-Length: 3\r\n',
    `Content-Length: ${int(300_000)}\r\n`,
    'Transfer-Encoding: chunked\r\nContent-Length: 3\r\n',
    '',
  ];
  /** Half the inputs have a valid head, so that body framing and early closes get exercised. */
  const validHead = (): Input => {
    const text = `POST /echo HTTP/1.1\r\nHost: echo\r\n${pick(framings)}${next() < 0.2 ? 'Connection: close\r\n' : ''}\r\n${body()}`;
    const bytes = Buffer.from(next() < 0.2 ? text.slice(0, int(text.length + 1)) : text, 'latin1');
    return { bytes, ending: pick(['wait', 'end', 'reset', 'cut'] as const) };
  };
  return (): Input => {
    if (next() < 0.5) return validHead();
    const eol = pick(eols);
    let head = `${pick(methods)} ${pick(targets)} ${pick(versions)}${eol}`;
    for (let i = int(6); i > 0; i--) head += `${pick(headers)}${pick(eols)}`;
    let text = `${head}${pick(eols)}${body()}`;
    if (next() < 0.2) text = text.slice(0, int(text.length + 1));
    const bytes = Buffer.from(text, 'latin1');
    // A few raw random bytes now and then.
    if (next() < 0.05) for (let i = int(8); i > 0; i--) bytes[int(bytes.length)] = int(256);
    return { bytes, ending: pick(['wait', 'wait', 'end', 'reset', 'cut'] as const) };
  };
}

interface Outcome {
  /** Status lines answered, in order. */
  readonly statuses: number[];
}

/** Sends one input and collects what comes back until the listener closes or a short limit passes. */
function throwAt(port: number, input: Input): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ statuses });
    };
    // Long enough for an answer on a loaded machine; inputs that wait for more bytes just end here.
    const timer = setTimeout(done, 1_500);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('connect', () => {
      if (input.ending === 'cut') {
        socket.write(input.bytes.subarray(0, Math.ceil(input.bytes.length / 2)), () => socket.destroy());
        return;
      }
      socket.write(input.bytes, () => {
        if (input.ending === 'end') socket.end();
        else if (input.ending === 'reset') socket.resetAndDestroy();
      });
    });
  });
}

describe(`listeners under ${inputs} fuzzed inputs each (seed ${seed}; FUZZ_SEED replays)`, () => {
  let upstream: Upstream;
  let ingress: Mesh;
  let sidecar: Mesh;

  beforeAll(async () => {
    upstream = await startUpstream('echo', (req, res) => {
      req.on('error', () => {});
      req.resume();
      req.on('end', () => res.end('{"ok":true}'));
    });
    const yaml = `${services('echo')}---${gateway}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: gw, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - route: [{ destination: { host: echo } }]
`;
    const endpoints = [{ name: 'echo-0', app: 'echo', origin: upstream.origin }];
    ingress = await startMesh(yaml, endpoints);
    sidecar = await startMesh(yaml, endpoints, {
      kind: 'mesh',
      source: { workload: 'front', namespace: 'music', app: 'front', version: 'v1' },
    });
  });

  afterAll(async () => {
    await ingress?.close();
    await sidecar?.close();
    await upstream?.close();
  });

  for (const [name, mesh, offset] of [
    ['the ingress', () => ingress, 0],
    ['an outbound listener', () => sidecar, 1],
  ] as const) {
    it(`${name} keeps serving and never answers 5xx to what it parsed`, { timeout: 240_000 }, async () => {
      const listener = mesh().listener;
      const next = generator(random(seed + offset));
      const failures: string[] = [];
      for (let done = 0; done < inputs; done += batch) {
        const thrown = Array.from({ length: Math.min(batch, inputs - done) }, next);
        const outcomes = await Promise.all(thrown.map((input) => throwAt(listener.port, input)));
        outcomes.forEach((outcome, i) => {
          if (outcome.statuses.some((status) => status >= 500 && status !== 501 && status !== 505))
            failures.push(JSON.stringify((thrown[i] as Input).bytes.toString('latin1').slice(0, 300)));
        });
        const host = offset === 0 ? {} : { host: 'echo' };
        const normal = await get(`${listener.url}/echo`, host);
        expect(normal.status, `a normal request after ${done + thrown.length} inputs`).toBe(200);
      }
      expect(failures, 'inputs answered 5xx (bytes, first 300)').toEqual([]);
    });
  }
});

/** How one TLS-level input is thrown: raw bytes, or bytes around or inside a real TLS session. */
type TlsInput =
  | { readonly kind: 'raw'; readonly bytes: Buffer; readonly ending: Ending }
  /** A completed handshake, then `bytes` written into the TLS stream unencrypted (corrupt records). */
  | { readonly kind: 'inject'; readonly bytes: Buffer; readonly ending: Ending }
  /** A completed handshake, then an HTTP input sent through it. */
  | { readonly kind: 'inside'; readonly input: Input };

function tlsGenerator(next: () => number, clientHello: Buffer, http: () => Input) {
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const noise = (max: number) => Buffer.from(Array.from({ length: int(max) }, () => int(256)));
  const endings = ['wait', 'end', 'reset', 'cut'] as const;
  /** A TLS record header (type, version, length) over a body that may not match it. */
  const record = (): Buffer => {
    const body = pick([noise(64), clientHello.subarray(5, 5 + int(clientHello.length)), Buffer.alloc(0)]);
    const header = Buffer.alloc(5);
    header[0] = pick([0x14, 0x15, 0x16, 0x17, 0x18, int(256)]);
    header.writeUInt16BE(pick([0x0301, 0x0303, 0x0304, 0x0300, 0x0200, int(65536)]), 1);
    header.writeUInt16BE(pick([body.length, 0, 1, 0x4000, 0x4001, 0xffff, int(65536)]), 3);
    return Buffer.concat([header, body]);
  };
  /** The real ClientHello, cut, bit-flipped or with a field overwritten. */
  const damagedHello = (): Buffer => {
    const hello = Buffer.from(clientHello);
    for (let i = 1 + int(4); i > 0; i--) hello[int(hello.length)] = int(256);
    return next() < 0.5 ? hello.subarray(0, int(hello.length + 1)) : hello;
  };
  return (): TlsInput => {
    switch (int(9)) {
      case 0:
        return { kind: 'raw', bytes: noise(4096), ending: pick(endings) };
      case 1: {
        const records = Array.from({ length: 1 + int(4) }, record);
        return { kind: 'raw', bytes: Buffer.concat(records), ending: pick(endings) };
      }
      case 2:
        return { kind: 'raw', bytes: damagedHello(), ending: pick(endings) };
      case 3:
        // A whole ClientHello and then silence, an end or a reset: a half-open handshake.
        return { kind: 'raw', bytes: clientHello, ending: pick(['wait', 'end', 'reset'] as const) };
      case 4:
        // Random bytes, then a ClientHello: TLS that does not start at the first byte.
        return { kind: 'raw', bytes: Buffer.concat([noise(32), clientHello]), ending: pick(endings) };
      case 5:
        // A ClientHello followed by garbage where the rest of the handshake should be.
        return {
          kind: 'raw',
          bytes: Buffer.concat([clientHello, noise(512), record()]),
          ending: pick(endings),
        };
      case 6:
        // Plain HTTP on the TLS port.
        return { kind: 'raw', bytes: http().bytes, ending: pick(endings) };
      case 7:
        return { kind: 'inject', bytes: next() < 0.5 ? noise(256) : record(), ending: pick(endings) };
      default:
        return { kind: 'inside', input: http() };
    }
  };
}

/** The first bytes a real client sends: its ClientHello, with the SNI the listener serves. */
async function captureClientHello(servername: string): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hello = new Promise<Buffer>((resolve) =>
    server.once('connection', (socket) => {
      socket.once('data', (chunk: Buffer) => {
        resolve(chunk);
        socket.destroy();
      });
    }),
  );
  const client = tlsConnect({
    port: (server.address() as AddressInfo).port,
    host: '127.0.0.1',
    servername,
    rejectUnauthorized: false,
  });
  client.on('error', () => {});
  const bytes = await hello;
  client.destroy();
  server.close();
  return bytes;
}

/** Throws one TLS input; what an `inside` input gets back is read as HTTP, like `throwAt`. */
function throwTlsAt(port: number, servername: string, input: TlsInput): Promise<Outcome> {
  if (input.kind === 'raw') return throwAt(port, input);
  return new Promise((resolve) => {
    const raw: Socket = connect(port, '127.0.0.1');
    const tls = tlsConnect({ socket: raw, servername, rejectUnauthorized: false });
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      tls.destroy();
      raw.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ statuses: [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1])) });
    };
    const timer = setTimeout(done, 3_000);
    for (const socket of [raw, tls]) {
      socket.on('error', done);
      socket.on('close', done);
    }
    tls.on('data', (chunk: Buffer) => chunks.push(chunk));
    tls.once('secureConnect', () => {
      const { bytes, ending } = input.kind === 'inject' ? input : input.input;
      const target: Socket = input.kind === 'inject' ? raw : tls;
      if (ending === 'cut') {
        target.write(bytes.subarray(0, Math.ceil(bytes.length / 2)), () => raw.destroy());
        return;
      }
      target.write(bytes, () => {
        if (ending === 'end') target.end();
        else if (ending === 'reset') raw.resetAndDestroy();
      });
    });
  });
}

describe(`the HTTPS Gateway listener under ${inputs} fuzzed TLS inputs (seed ${seed}; FUZZ_SEED replays)`, () => {
  let https: HttpsIngress;

  beforeAll(async () => {
    https = await startHttpsIngress();
  });

  afterAll(async () => {
    await https?.close();
  });

  it('keeps serving HTTPS and never answers 5xx to what it parsed', { timeout: 240_000 }, async () => {
    const { port, servername, goodRequest } = https;
    expect(await goodRequest()).toBe(200);
    const clientHello = await captureClientHello(servername);
    const next = random(seed + 2);
    const nextInput = tlsGenerator(next, clientHello, generator(next));
    const failures: string[] = [];
    for (let done = 0; done < inputs; done += batch) {
      const thrown = Array.from({ length: Math.min(batch, inputs - done) }, nextInput);
      const outcomes = await Promise.all(thrown.map((input) => throwTlsAt(port, servername, input)));
      outcomes.forEach((outcome, i) => {
        const input = thrown[i] as TlsInput;
        if (outcome.statuses.some((status) => status >= 500 && status !== 501 && status !== 505))
          failures.push(
            JSON.stringify(
              (input.kind === 'inside' ? input.input : input).bytes.toString('latin1').slice(0, 300),
            ),
          );
      });
      expect(await goodRequest(), `a good HTTPS request after ${done + thrown.length} inputs`).toBe(200);
    }
    expect(failures, 'inputs answered 5xx (bytes, first 300)').toEqual([]);
  });
});

describe(`the mesh console's API under ${inputs} fuzzed inputs (seed ${seed}; FUZZ_SEED replays)`, () => {
  it('keeps serving and never answers 5xx, its own Host or another', { timeout: 240_000 }, async () => {
    const telemetry = await startTelemetry({ statsPort: 0, host: '127.0.0.1' });
    const console = await startConsole({ statsUrl: telemetry.url, port: 0, scrapeIntervalMs: 3_600_000 });
    try {
      const { port } = new URL(console.url);
      const next = generator(random(seed + 7));
      const own = (input: Input): Input => ({
        ...input,
        // Half the inputs name the console's own Host, so that they get past its Host check.
        bytes: Buffer.from(
          input.bytes.toString('latin1').replace(/\r\nhost:[^\r]*/i, `\r\nhost: 127.0.0.1:${port}`),
          'latin1',
        ),
      });
      const failures: string[] = [];
      for (let done = 0; done < inputs; done += batch) {
        const thrown = Array.from({ length: Math.min(batch, inputs - done) }, (_, i) =>
          i % 2 ? own(next()) : next(),
        );
        const outcomes = await Promise.all(thrown.map((input) => throwAt(Number(port), input)));
        outcomes.forEach((outcome, i) => {
          if (outcome.statuses.some((status) => status >= 500 && status !== 501 && status !== 505))
            failures.push(JSON.stringify((thrown[i] as Input).bytes.toString('latin1').slice(0, 300)));
        });
        const health = await get(`${console.url}/healthz`);
        expect(health.status, `the console after ${done + thrown.length} inputs`).toBe(200);
      }
      expect(failures, 'inputs answered 5xx (bytes, first 300)').toEqual([]);
    } finally {
      await console.close();
      await telemetry.close();
    }
  });
});
