import type { Logger } from '../log.ts';

/**
 * The runtime is crash-only: an error that escaped every connection's own handling is logged and
 * the process goes on serving, because ending it would take every replica and request with it.
 * Stopping stays with the signals (Ctrl-C, SIGTERM, SIGHUP).
 */
export function keepServingOnUncaughtErrors(log: Logger): void {
  const report = (kind: string) => (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    log.error(`${kind} (contained; the runtime keeps serving): ${text}`);
  };
  process.on('uncaughtException', report('uncaught exception'));
  process.on('unhandledRejection', report('unhandled rejection'));
}
