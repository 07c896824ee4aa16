import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EndpointRegistry } from '../endpoints/registry.ts';
import { PortInUseError } from '../errors.ts';
import { authorityHost } from '../routing/hosts.ts';
import type { RequestFacts } from '../routing/match.ts';
import type { CompiledRoute, RouteTarget, RoutingTable } from '../routing/table.ts';
import { type ForwardResult, forward } from './forward.ts';
import { upstreamRequestHeaders } from './headers.ts';
import type { RequestRecord, ResponseFlag } from './outcome.ts';

/** Holds the routing table in force; `replace` swaps it whole, requests read it once on arrival. */
export class RoutingState {
  #table: RoutingTable;

  constructor(table: RoutingTable) {
    this.#table = table;
  }

  get table(): RoutingTable {
    return this.#table;
  }

  replace(table: RoutingTable): void {
    this.#table = table;
  }
}

export interface IngressOptions {
  readonly port: number;
  readonly host: string;
  readonly routing: RoutingState;
  readonly endpoints: EndpointRegistry;
  readonly onRequestEnd: (record: RequestRecord) => void;
}

export interface Ingress {
  /** `http://<host>:<port>` as bound (the real port when asked for port 0). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The local ingress gateway: serves the Gateway port and routes per the bound VirtualServices. */
export async function startIngress(options: IngressOptions): Promise<Ingress> {
  const { routing, endpoints, onRequestEnd } = options;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const query = path.indexOf('?');
    const facts: RequestFacts = {
      authority: authorityHost(req.headers.host),
      path,
      pathname: query === -1 ? path : path.slice(0, query),
      method,
    };
    const report = (
      status: number,
      flag: ResponseFlag | undefined,
      route?: string,
      upstream?: string,
      id?: string,
    ) =>
      onRequestEnd({
        method,
        path,
        status,
        durationMs: performance.now() - started,
        route,
        upstream,
        requestId: id,
        flag,
      });

    const route = routing.table.lookup(facts);
    if (!route) {
      answer(res, 404, 'route_not_found');
      report(404, 'NR');
      return;
    }
    const endpoint = endpoints.pick(pickTarget(route).service);
    if (!endpoint) {
      answer(res, 503, 'no healthy upstream');
      report(503, 'UH', route.name);
      return;
    }
    const { headers, requestId } = upstreamRequestHeaders(req);
    forward(endpoints.pool(endpoint), req, res, headers, (result: ForwardResult) =>
      report(result.status, result.flag, route.name, endpoint.name, requestId),
    );
  };

  const server = createServer({ keepAliveTimeout: 60_000 }, handle);
  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () => closeServer(server),
  };
}

function pickTarget(route: CompiledRoute): RouteTarget {
  const targets = route.targets;
  if (targets.length === 1) return targets[0] as RouteTarget;
  let ticket = Math.random() * route.totalWeight;
  for (const target of targets) {
    ticket -= target.weight;
    if (ticket < 0) return target;
  }
  return targets[targets.length - 1] as RouteTarget;
}

/** Envoy's own answers are short plain text. */
function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, 'ingress') : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Stops accepting, lets in-flight requests finish for a moment, then cuts what is left. */
function closeServer(server: Server, graceMs = 2_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
