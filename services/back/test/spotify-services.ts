import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp as buildClient } from '@music/client/app';
import { loadConfig as loadClientConfig } from '@music/client/config';
import { buildApp as buildSandbox } from '@music/spotify-sandbox/app';
import { loadConfig as loadSandboxConfig } from '@music/spotify-sandbox/config';
import { Faults } from '@music/spotify-sandbox/faults';
import type { FastifyInstance } from 'fastify';

/** The local Spotify and the `client` service in front of it, both in-process on port 0. */
export interface SpotifyServices {
  /** client's base URL: back v3's CLIENT_URL. */
  clientUrl: string;
  sandboxUrl: string;
  /** The sandbox's faults, to switch on and off while it runs. */
  faults: Faults;
  close(): Promise<void>;
}

export async function startSpotifyServices(clientEnv: Record<string, string> = {}): Promise<SpotifyServices> {
  const faults = new Faults({ failureRate: 0, extraLatencyMs: 0 });
  const sandbox = await buildSandbox(loadSandboxConfig({}), { faults });
  const sandboxUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  let client: FastifyInstance | undefined;
  try {
    client = await buildClient(
      loadClientConfig({
        SPOTIFY_API_URL: `${sandboxUrl}/v1`,
        SPOTIFY_ACCOUNTS_URL: `${sandboxUrl}/api/token`,
        SPOTIFY_CLIENT_ID: 'music-sandbox',
        SPOTIFY_CLIENT_SECRET: 'music-sandbox-secret',
        SPOTIFY_RETRY_BASE_MS: '10',
        SPOTIFY_RETRY_MAX_MS: '50',
        ...clientEnv,
      }),
    );
    const clientUrl = await client.listen({ port: 0, host: '127.0.0.1' });
    return {
      clientUrl,
      sandboxUrl,
      faults,
      async close() {
        await client?.close();
        await sandbox.close();
      },
    };
  } catch (error) {
    await client?.close();
    await sandbox.close();
    throw error;
  }
}

/** One request as a forward proxy received it: absolute-form target and headers. */
export interface Proxied {
  target: string;
  headers: IncomingHttpHeaders;
}

export interface ForwardProxy {
  url: string;
  seen: Proxied[];
  close(): Promise<void>;
}

/**
 * A forward proxy like the mesh runtime's sidecar listener: it takes absolute-form requests
 * (`GET http://client.test:1234/...`), as Node sends them to an HTTP_PROXY, and forwards each to
 * `hosts[hostname]`. A name it does not know gets 502, so reaching a host proves the proxy was used.
 */
export async function startForwardProxy(hosts: Record<string, string>): Promise<ForwardProxy> {
  const seen: Proxied[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const target = incoming.url ?? '';
    seen.push({ target, headers: incoming.headers });
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      outgoing.writeHead(400).end();
      return;
    }
    const origin = hosts[url.host];
    if (origin === undefined) {
      outgoing.writeHead(502).end();
      return;
    }
    const upstream = request(
      new URL(`${url.pathname}${url.search}`, origin),
      { method: incoming.method, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
