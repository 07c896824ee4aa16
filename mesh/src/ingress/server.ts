import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import type { EndpointRegistry } from '../endpoints/registry.ts';
import { PortInUseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type Listener, startListener } from '../proxy/listener.ts';
import { chainForServerName, chainTable } from '../routing/gateways.ts';
import { RoutingState } from '../routing/state.ts';
import type { RoutingTable } from '../routing/table.ts';
import type { RequestRecord } from '../telemetry/record.ts';

export { RoutingState } from '../routing/state.ts';

export interface IngressOptions {
  /** The local port of Gateway port 80; Gateway port N listens on N + (port − 80). 0: free ports. */
  readonly port: number;
  readonly host: string;
  readonly routing: RoutingState;
  readonly endpoints: EndpointRegistry;
  /** Called with every finished request; leave it out to pay for records only when telemetry subscribes. */
  readonly onRequestEnd?: ((record: RequestRecord) => void) | undefined;
  /** Listeners opened and closed after start, and Gateway ports that get none (port taken, out of range). */
  readonly log?: Pick<Logger, 'info' | 'warn'> | undefined;
}

export interface IngressListener {
  /** The Gateway server port it plays. */
  readonly gatewayPort: number;
  readonly protocol: 'HTTP' | 'HTTPS';
  /** `http://127.0.0.1:8080`, `https://127.0.0.1:8443`. */
  readonly url: string;
}

export interface Ingress {
  /** The listener of Gateway port 80 (`--port`), there whatever the Gateways say. */
  readonly url: string;
  readonly port: number;
  /** Every Gateway port listened on, by port number. */
  listeners(): readonly IngressListener[];
  /**
   * Follows the table in force: a listener for each of its Gateway ports (80 always), none for
   * ports gone, certificates as its Secrets now hold them. Never rejects; calls run one at a time.
   */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Where Gateway port `gatewayPort` listens locally: `--port` for 80, the others as far from it as from 80. */
export function localPort(basePort: number, gatewayPort: number): number | undefined {
  if (basePort === 0) return 0;
  const port = basePort + gatewayPort - 80;
  return port >= 1 && port <= 65_535 ? port : undefined;
}

/** The local ingress gateway: one listener per Gateway server port, routed per the bound VirtualServices. */
export async function startIngress(options: IngressOptions): Promise<Ingress> {
  const ports = new Map<number, PortListener>();
  const start = async (gatewayPort: number, protocol: 'HTTP' | 'HTTPS', local: number) => {
    const listener =
      protocol === 'HTTP'
        ? await plainListener(options, gatewayPort, local)
        : await tlsListener(options, gatewayPort, local);
    ports.set(gatewayPort, listener);
    return listener;
  };
  const primary = await start(80, 'HTTP', options.port);

  const reconcile = async () => {
    const table = options.routing.table;
    const wanted = new Map<number, 'HTTP' | 'HTTPS'>([[80, 'HTTP']]);
    for (const port of table.gatewayPorts) wanted.set(port.port, port.protocol);
    for (const [gatewayPort, listener] of ports) {
      if (wanted.get(gatewayPort) === listener.protocol) continue;
      ports.delete(gatewayPort);
      await listener.close();
      options.log?.info(`ingress: Gateway port ${gatewayPort} (${listener.protocol}) closed`);
      // Port 80 changing protocol keeps its local port: the app's URL stays where it was.
      if (gatewayPort === 80) await start(80, wanted.get(80) as 'HTTP' | 'HTTPS', listener.port);
    }
    for (const [gatewayPort, protocol] of wanted) {
      if (ports.has(gatewayPort)) continue;
      const local = localPort(options.port, gatewayPort);
      if (local === undefined) {
        options.log?.warn(
          `Gateway port ${gatewayPort}: local port ${options.port + gatewayPort - 80} is out of range; not listening (pick another --port)`,
        );
        continue;
      }
      await start(gatewayPort, protocol, local).then(
        (listener) =>
          options.log?.info(`ingress: Gateway port ${gatewayPort} (${protocol}) on ${listener.url}`),
        (error: Error) => options.log?.warn(`Gateway port ${gatewayPort}: ${error.message}; not listening`),
      );
    }
    for (const listener of ports.values()) listener.update(table);
  };

  let queue: Promise<void> = Promise.resolve();
  const sync = () => {
    queue = queue.then(reconcile).catch((error: Error) => options.log?.warn(`ingress: ${error.message}`));
    return queue;
  };
  await sync();
  return {
    url: primary.url,
    port: primary.port,
    listeners: () =>
      [...ports.values()]
        .map(({ gatewayPort, protocol, url }) => ({ gatewayPort, protocol, url }))
        .sort((a, b) => a.gatewayPort - b.gatewayPort),
    sync,
    close: async () => {
      await queue;
      await Promise.all([...ports.values()].map((listener) => listener.close()));
      ports.clear();
    },
  };
}

interface PortListener extends IngressListener {
  readonly port: number;
  /** A new table: TLS chains and their certificates. */
  update(table: RoutingTable): void;
  close(): Promise<void>;
}

async function plainListener(
  options: IngressOptions,
  gatewayPort: number,
  local: number,
): Promise<PortListener> {
  const listener = await startListener({
    port: local,
    host: options.host,
    context: { kind: 'gateway' },
    routing: new ChainRouting(options.routing, gatewayPort, `http.${gatewayPort}`),
    endpoints: options.endpoints,
    onRequestEnd: options.onRequestEnd,
  });
  return {
    gatewayPort,
    protocol: 'HTTP',
    url: listener.url,
    port: listener.port,
    update: () => {},
    close: () => listener.close(),
  };
}

/**
 * An HTTPS port: Envoy's listener with one filter chain per server, chosen by SNI. Each chain is
 * an unbound listener seeing only its server's virtual hosts; the handshake picks the chain's
 * certificate, and a name no chain answers, or a chain without a usable Secret, fails it.
 */
async function tlsListener(
  options: IngressOptions,
  gatewayPort: number,
  local: number,
): Promise<PortListener> {
  const chains = new Map<string, Promise<Listener>>();
  const chainsNow = () =>
    options.routing.table.gatewayPorts.find((p) => p.port === gatewayPort)?.chains ?? [];
  // Half-open only once the handshake is done: a client that closes its side mid-handshake is let
  // go at once, not kept until the 120 s handshake timeout (and holding up close).
  const server: TlsServer = createTlsServer({
    allowHalfOpen: false,
    SNICallback: (name, done) => {
      const chain = chainForServerName(chainsNow(), name);
      if (chain?.credentials) done(null, chain.credentials.context);
      else
        done(
          new Error(chain ? `no usable certificate for ${chain.routeName}` : `no filter chain for ${name}`),
        );
    },
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    // A reset before the chain's listener takes the socket must end this connection only.
    socket.on('error', ignoreSocketError);
    // A request followed by the client's FIN still gets its answer, as on the plain listener.
    socket.allowHalfOpen = true;
    const name = typeof socket.servername === 'string' ? socket.servername : undefined;
    const chain = chainForServerName(chainsNow(), name);
    const listener = chain && chains.get(chain.routeName);
    if (!listener) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    listener.then(
      (l) => l.serve(socket as Socket),
      () => socket.destroy(),
    );
  });
  // A failed handshake (no chain, no certificate, not TLS at all) ends that connection only.
  server.on('tlsClientError', () => {});
  await listen(server, local, options.host);
  const port = (server.address() as AddressInfo).port;
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;

  const update = (table: RoutingTable) => {
    const current = table.gatewayPorts.find((p) => p.port === gatewayPort)?.chains ?? [];
    for (const chain of current) {
      if (chains.has(chain.routeName)) continue;
      chains.set(
        chain.routeName,
        startListener({
          port: undefined,
          host: options.host,
          context: { kind: 'gateway' },
          scheme: 'https',
          routing: new ChainRouting(options.routing, gatewayPort, chain.routeName),
          endpoints: options.endpoints,
          onRequestEnd: options.onRequestEnd,
        }),
      );
    }
    for (const [routeName, listener] of chains) {
      if (current.some((chain) => chain.routeName === routeName)) continue;
      chains.delete(routeName);
      void listener.then((l) => l.close());
    }
    // A client sending no SNI gets the chain without names, if it has a certificate.
    const fallback = current.find((chain) => chain.sniHosts.length === 0)?.credentials;
    server.setSecureContext(fallback ? fallback.keyPair() : {});
  };

  return {
    gatewayPort,
    protocol: 'HTTPS',
    url: `https://${urlHost}:${port}`,
    port,
    update,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...chains.values()].map((listener) => listener.then((l) => l.close())));
      chains.clear();
      await closed;
    },
  };
}

/**
 * The table as one filter chain of one Gateway port sees it: that chain's virtual hosts as
 * `ingress`, its Gateways as `gateways`, the port as `binding.port`; rebuilt once per table.
 */
class ChainRouting extends RoutingState {
  readonly #base: RoutingState;
  readonly #port: number;
  readonly #routeName: string;
  #source: RoutingTable | undefined;
  #view: RoutingTable | undefined;

  constructor(base: RoutingState, port: number, routeName: string) {
    super(base.table);
    this.#base = base;
    this.#port = port;
    this.#routeName = routeName;
  }

  override get table(): RoutingTable {
    const table = this.#base.table;
    if (table !== this.#source || this.#view === undefined) {
      this.#source = table;
      this.#view = chainTable(table, this.#port, this.#routeName);
    }
    return this.#view;
  }

  override replace(table: RoutingTable): void {
    this.#base.replace(table);
  }
}

function listen(server: TlsServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, 'mesh listener') : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function ignoreSocketError(): void {}
