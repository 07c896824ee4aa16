import type { FastifyInstance } from 'fastify';

export interface ListenOptions {
  host: string;
  port: number;
  /** How long in-flight requests may take to finish after SIGTERM before the process exits anyway. */
  drainTimeoutMs?: number;
}

/**
 * Listens and drains on SIGTERM/SIGINT: readiness turns DOWN (see health.ts), in-flight requests
 * finish, connections close, then the process exits. The only place a service exits on purpose.
 */
export async function listenUntilSignal(app: FastifyInstance, options: ListenOptions): Promise<void> {
  await app.listen({ host: options.host, port: options.port });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'draining');
    const timer = setTimeout(() => {
      app.log.warn('drain timed out');
      process.exit(1);
    }, options.drainTimeoutMs ?? 10_000);
    timer.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/** Start-up failed before the server could run: one line, no stack for known configuration errors. */
export function exitOnStartupError(error: unknown): never {
  const message =
    error instanceof Error && 'code' in error && error.code === 'CONFIG_INVALID' ? error.message : error;
  console.error('start-up failed:', message);
  process.exit(1);
}
