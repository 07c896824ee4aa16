import { connect } from 'node:net';

export interface RawRequest {
  /** Bytes written in order. */
  readonly chunks: readonly (string | Buffer)[];
  /** After writing: `end` half-closes, `reset` sends a TCP RST, `wait` waits for the answer. */
  readonly finish: 'end' | 'reset' | 'wait';
}

/**
 * Writes bytes to a listener on a bare socket and tells what came back: the status of the first
 * answer (`400`), `closed` without one, `timeout`, or the socket error's code.
 */
export function sendRaw(host: string, port: number, request: RawRequest, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let received = '';
    let settled = false;
    const settle = (outcome: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => settle('timeout'), timeoutMs);
    socket.on('error', (error: NodeJS.ErrnoException) => settle(statusOf(received) ?? error.code ?? 'error'));
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
      const status = statusOf(received);
      if (status !== undefined) settle(status);
    });
    socket.on('close', () => settle(statusOf(received) ?? 'closed'));
    socket.on('connect', () => {
      for (const chunk of request.chunks) socket.write(chunk);
      if (request.finish === 'end') socket.end();
      else if (request.finish === 'reset') socket.resetAndDestroy();
    });
  });
}

function statusOf(received: string): string | undefined {
  return /^HTTP\/1\.[01] (\d{3})/.exec(received)?.[1];
}
