import { connect } from 'node:net';
import { Agent, request } from 'undici';
import type { HttpGetProbe } from '../manifests/model.ts';

/**
 * Runs httpGet probes the way the kubelet does: 2xx and 3xx pass, anything else or no answer fails;
 * and the port check that stands in for a missing readiness probe.
 */
export class Prober {
  // Its own agent, closed on stop, so that probe connections never keep the process alive.
  readonly #agent = new Agent({ keepAliveTimeout: 1_000, connections: 4 });

  async check(origin: string, probe: HttpGetProbe): Promise<boolean> {
    const timeout = probe.timeoutSeconds * 1_000;
    try {
      const res = await request(`${origin}${probe.path}`, {
        dispatcher: this.#agent,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        headers: { 'user-agent': 'kube-probe/music-mesh' },
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 400;
    } catch {
      return false;
    }
  }

  /** Whether 127.0.0.1:`port` accepts a TCP connection within a second (closed at once). */
  accepts(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, timeout: 1_000 });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
      socket.once('timeout', () => done(false));
    });
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
