import type { CompiledRoute } from '../../routing/table.ts';
import type { Exchange } from '../exchange.ts';
import type { Stage } from './stage.ts';

/** Request bodies up to this size are buffered so that retries and mirrors can replay them (Envoy buffers too). */
export const replayLimit = 1024 * 1024;

/**
 * Keeps the request body (up to 1 MiB, of known length) when the route retries or mirrors, so that
 * a retry or a copy can send it again; a larger one streams once and is neither retried nor
 * mirrored with its body.
 */
class ReplayStage implements Stage {
  readonly line =
    `body: kept up to ${replayLimit / 1024 / 1024} MiB for retries and mirrors, larger ones stream once`;

  run(exchange: Exchange): void {
    const req = exchange.req;
    const body = req.body;
    if (body === null) {
      exchange.next();
      return;
    }
    const size = req.bodyLength;
    exchange.requestBytes = Math.max(size, 0);
    if (size > 0 && size <= replayLimit) {
      const chunks: Buffer[] = [];
      body.on('data', (chunk: Buffer) => chunks.push(chunk));
      body.once('end', () => {
        const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        exchange.body = whole;
        exchange.requestBytes = whole.length;
        exchange.next();
      });
      return;
    }
    exchange.body = body;
    exchange.replayable = false;
    exchange.next();
  }
}

const replay = new ReplayStage();

export function compileReplay(route: CompiledRoute): Stage | undefined {
  return route.mirrors.length > 0 || route.retry !== undefined ? replay : undefined;
}
