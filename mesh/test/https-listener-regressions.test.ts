/**
 * What the TLS fuzzer (fuzz-listeners.test.ts) found on the HTTPS Gateway listener: a client that
 * closed its side mid-handshake was held half-open until the 120 s handshake timeout, and closing
 * the ingress waited on HTTPS connections its chain listeners had been told to cut.
 */
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpsIngress, startHttpsIngress } from './support/https-ingress.ts';

/** Resolves with how long `promise` took, or rejects once `limitMs` has passed. */
async function within<T>(limitMs: number, promise: Promise<T>): Promise<number> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${limitMs} ms`)), limitMs);
  });
  try {
    await Promise.race([promise, late]);
    return performance.now() - started;
  } finally {
    clearTimeout(timer);
  }
}

describe('the HTTPS Gateway listener', () => {
  let https: HttpsIngress;

  beforeAll(async () => {
    https = await startHttpsIngress();
  });

  afterAll(async () => {
    await https?.close();
  });

  it('closes at once a connection whose client ends its side mid-handshake', async () => {
    const socket = connect(https.port, '127.0.0.1');
    socket.on('error', () => {});
    const closed = new Promise((resolve) => socket.once('close', resolve));
    // The first bytes of a handshake record, then the client's FIN.
    socket.end(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00]));
    await within(10_000, closed);
    expect(await https.goodRequest()).toBe(200);
  });
});

describe('closing an ingress with an HTTPS connection left mid-request', () => {
  it('cuts a connection left with half a request after its grace, not at the request-head timeout', async () => {
    const https = await startHttpsIngress();
    const client = tlsConnect({
      port: https.port,
      host: '127.0.0.1',
      servername: https.servername,
      ca: https.certificate.cert,
    });
    client.on('error', () => {});
    await new Promise((resolve) => client.once('secureConnect', resolve));
    // Half a request head, then the client's FIN: no request will come, no response is due.
    client.end(`GET /echo HTTP/1.1\r\nhost: ${https.servername}\r\n`);
    const cut = new Promise((resolve) => client.once('close', resolve));
    // Time for the half head to reach the listener; were it late, the connection would be idle
    // at close and the test would pass without telling anything, never fail.
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The listeners' grace is 2 s; the request-head timeout that cut it before is 10 s.
    await within(7_000, https.close());
    await within(1_000, cut);
  });
});
