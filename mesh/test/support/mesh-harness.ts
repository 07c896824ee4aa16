import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { request } from 'undici';
import { EndpointRegistry } from '../../src/endpoints/registry.ts';
import { buildTopology, parseYaml } from '../../src/manifests/load.ts';
import { type Listener, type ListenerContext, startListener } from '../../src/proxy/listener.ts';
import type { MeshSettings } from '../../src/proxy/settings.ts';
import { RoutingState } from '../../src/routing/state.ts';
import { compileRoutingTable } from '../../src/routing/table.ts';
import { type ConnectionRecord, connectionChannel } from '../../src/telemetry/connection.ts';
import { type RequestRecord, requestChannel } from '../../src/telemetry/record.ts';
import { startFixture } from './processes.ts';

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export interface Upstream {
  readonly name: string;
  readonly origin: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, count: number) => void;

/** A replica that answers `{ name, url }` and records what it saw; `handler` overrides the answer. */
export async function startUpstream(name: string, handler?: UpstreamHandler): Promise<Upstream> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (handler) return handler(req, res, seen.length);
    res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': name });
    res.end(JSON.stringify({ name, url: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on. */
export async function refusedOrigin(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export interface UnacceptingOrigin {
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * A port whose connects hang: a process that stopped accepting (fixtures/unaccepting-server.ts)
 * with its accept queue filled here, so that the kernel drops every further SYN. Unlike an
 * unroutable address, this holds on any machine, offline too.
 */
export async function startUnacceptingOrigin(): Promise<UnacceptingOrigin> {
  const script = new URL('../fixtures/unaccepting-server.ts', import.meta.url).pathname;
  const { child, line } = await startFixture(script, [], /listening on port (\d+)/);
  const port = Number(line);
  const fillers: Socket[] = [];
  for (;;) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 1_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) {
      socket.destroy();
      break;
    }
    fillers.push(socket);
    if (fillers.length > 64)
      throw new Error(`port ${port} still accepts after ${fillers.length} connections`);
  }
  return {
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of fillers) socket.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export const services = (...names: string[]) =>
  names
    .map(
      (name) =>
        `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: music }\nspec: { selector: { app: ${name} }, ports: [{ name: http, port: 8080 }] }\n`,
    )
    .join('---\n');

export const gateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: music-gateway, namespace: music }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
`;

export function compile(yaml: string) {
  return compileRoutingTable(buildTopology(parseYaml('test.yaml', yaml)));
}

export interface Mesh {
  readonly listener: Listener;
  readonly routing: RoutingState;
  readonly endpoints: EndpointRegistry;
  /** What the listener reports (`reporter: 'source'`). */
  readonly records: RequestRecord[];
  /** What the endpoints' inbound sides report (`reporter: 'destination'`), mirrored copies included. */
  readonly inbound: RequestRecord[];
  /** TCP connections either side reports (each once, as first published; it changes in place until closed). */
  readonly connections: ConnectionRecord[];
  close(): Promise<void>;
}

export interface EndpointSpec {
  readonly name: string;
  readonly app: string;
  readonly version?: string;
  readonly origin: string;
}

/** A listener (gateway unless told otherwise) over `yaml`, with endpoints, collecting RequestRecords from the channel. */
export async function startMesh(
  yaml: string,
  endpointSpecs: readonly EndpointSpec[],
  context: ListenerContext = { kind: 'gateway' },
  settings?: MeshSettings,
): Promise<Mesh> {
  const topology = buildTopology(parseYaml('test.yaml', yaml));
  const endpoints = new EndpointRegistry(topology.services);
  for (const spec of endpointSpecs) {
    endpoints.add({
      name: spec.name,
      namespace: 'music',
      origin: spec.origin,
      labels: { app: spec.app, version: spec.version ?? 'v1' },
    });
  }
  const routing = new RoutingState(compileRoutingTable(topology));
  const listener = await startListener({ port: 0, host: '127.0.0.1', context, routing, endpoints, settings });
  const records: RequestRecord[] = [];
  const inbound: RequestRecord[] = [];
  const onRecord = (message: unknown) => {
    const record = message as RequestRecord;
    (record.reporter === 'destination' ? inbound : records).push(record);
  };
  subscribe(requestChannel.name, onRecord);
  const connections: ConnectionRecord[] = [];
  const onConnection = (message: unknown) => {
    const record = message as ConnectionRecord;
    if (!connections.includes(record)) connections.push(record);
  };
  subscribe(connectionChannel.name, onConnection);
  return {
    listener,
    routing,
    endpoints,
    records,
    inbound,
    connections,
    close: async () => {
      unsubscribe(requestChannel.name, onRecord);
      unsubscribe(connectionChannel.name, onConnection);
      await listener.close();
      await endpoints.close();
    },
  };
}

export async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const started = performance.now();
  const res = await request(url, { headers, method: method as 'GET' });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, ms: performance.now() - started };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` passes (records arrive after the response). */
export async function eventually(check: () => void, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(10);
    }
  }
}
