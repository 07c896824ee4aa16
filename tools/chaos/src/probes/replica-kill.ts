import { ChaosError } from '../errors.ts';
import type { Probe } from '../probe.ts';

/** SIGKILL of a ready back replica, as the kernel's OOM killer would end it. */
export const replicaKill: Probe = {
  name: 'replica-kill',
  title: 'SIGKILL of a back replica',
  async run({ stack }) {
    const pod = (await stack.pods()).find(
      (p) => p.name.startsWith('back-') && p.ready && p.pid !== undefined,
    );
    if (pod?.pid === undefined) throw new ChaosError('no ready back replica to kill');
    process.kill(pod.pid, 'SIGKILL');
    return { detail: `killed ${pod.name} (pid ${pod.pid})` };
  },
  async after({ stack }) {
    const back = (await stack.pods()).filter((p) => p.name.startsWith('back-'));
    return back.map((p) => `${p.name} ${p.ready ? 'ready' : 'not ready'}, ${p.restarts} restarts`).join(', ');
  },
};
