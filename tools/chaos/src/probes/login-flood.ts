import type { Probe } from '../probe.ts';

const floodPerSecond = 30;
const durationMs = 15_000;
const legitimateEveryMs = 500;
const legitimateLimitMs = 2000;
/** The goal: at least this share of legitimate logins succeed within 2 s. */
const goal = 0.95;

/** A wrong password for an existing account, or an unknown name: each costs back a full hash. */
function floodCredentials(n: number): { username: string; password: string } {
  return n % 2 === 0
    ? { username: 'user', password: `wrong-${n}` }
    : { username: `nobody-${n}`, password: `wrong-${n}` };
}

async function logIn(url: string, credentials: object, timeoutMs: number): Promise<number | undefined> {
  try {
    const response = await fetch(`${url}/api/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

/** 30 failed logins per second for 15 s, while admin logs in every 0.5 s with a 2 s limit. */
export const loginFlood: Probe = {
  name: 'login-flood',
  title: '30 failed logins/s for 15 s',
  async run({ stack }) {
    const flood = new Map<string, number>();
    const pending: Promise<void>[] = [];
    let legitimate = 0;
    let succeeded = 0;
    let n = 0;
    const floodTimer = setInterval(() => {
      const credentials = floodCredentials(n++);
      pending.push(
        logIn(stack.url, credentials, 15_000).then((status) => {
          const key = status === undefined ? 'no answer' : String(status);
          flood.set(key, (flood.get(key) ?? 0) + 1);
        }),
      );
    }, 1000 / floodPerSecond);
    const legitimateTimer = setInterval(() => {
      legitimate++;
      pending.push(
        logIn(stack.url, { username: 'admin', password: 'admin' }, legitimateLimitMs).then((status) => {
          if (status === 200) succeeded++;
        }),
      );
    }, legitimateEveryMs);
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    clearInterval(floodTimer);
    clearInterval(legitimateTimer);
    await Promise.all(pending);
    const share = legitimate === 0 ? 0 : succeeded / legitimate;
    const answers = [...flood].map(([status, count]) => `${count}×${status}`).join(' ');
    return {
      detail:
        `legitimate logins ${succeeded}/${legitimate} within 2 s (${(share * 100).toFixed(0)}%, goal ≥ 95%); ` +
        `${n} failed logins answered ${answers}`,
      ok: share >= goal,
    };
  },
};
