import { createServer, type Server, type Socket } from 'node:net';
import { DownstreamConnection, type DownstreamHandlers, type DownstreamLimits } from './connection.ts';

export type { DownstreamHandlers, DownstreamLimits } from './connection.ts';
export { DownstreamConnection } from './connection.ts';
export type { DownstreamRequest, RequestBody } from './request.ts';
export type { DownstreamResponse, ResponseListener, Resumable } from './response.ts';
export { HeadText, headText } from './response.ts';

/**
 * Envoy's defaults for a listener's HTTP connection manager, Node's keep-alive for idle clients,
 * and a 10 s bound on a request head (Envoy has none by default; Node's headersTimeout is 60 s).
 */
export const defaultLimits: DownstreamLimits = Object.freeze({
  maxHeaderBytes: 60 * 1024,
  maxHeaders: 100,
  idleTimeoutMs: 60_000,
  headTimeoutMs: 10_000,
});

export interface DownstreamServer {
  readonly server: Server;
  /** Serves HTTP on a socket that arrived another way (the inside of a CONNECT tunnel). */
  serve(socket: Socket, head: Buffer): void;
  /** Stops accepting; in-flight requests have `graceMs` to finish, then what is left is cut. */
  close(graceMs?: number): Promise<void>;
}

const noBytes = Buffer.alloc(0);

/** A TCP server whose connections speak HTTP/1.1 through `DownstreamConnection`. */
export function createDownstreamServer(
  handlers: DownstreamHandlers,
  limits: DownstreamLimits = defaultLimits,
): DownstreamServer {
  const connections = new Set<DownstreamConnection>();
  const serve = (socket: Socket, head: Buffer): void => {
    const connection = new DownstreamConnection(socket, handlers, limits, head);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  };
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => serve(socket, noBytes));
  const sweep = setInterval(sweepIdle, limits.idleTimeoutMs / 4, connections).unref();
  return {
    server,
    serve,
    close: async (graceMs = 2_000) => {
      clearInterval(sweep);
      const timer = setTimeout(() => {
        for (const connection of connections) connection.socket.destroy();
      }, graceMs);
      // Every connection counts, those handed to `serve` too (TLS, CONNECT), which the server's
      // own close does not wait for; an unbound server's close returns at once.
      const ended = [...connections].map(
        (connection) => new Promise((resolve) => connection.socket.once('close', resolve)),
      );
      const stopped = server.listening ? new Promise((resolve) => server.close(resolve)) : undefined;
      for (const connection of connections) connection.close();
      await Promise.all([stopped, ...ended]);
      clearTimeout(timer);
    },
  };
}

function sweepIdle(connections: Set<DownstreamConnection>): void {
  for (const connection of connections) connection.sweepIdle();
}
