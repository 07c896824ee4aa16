import { request } from 'node:http';
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

/**
 * The flood comes from many addresses, as a botnet's would: every loopback address 127.0.0.2-254
 * reaches the ingress, which sees (and appends to X-Forwarded-For) the real one. The legitimate
 * user signs in from 127.0.0.1, where the stack's own admin session has signed in before.
 */
function floodAddress(n: number): string {
  return `127.0.0.${2 + (n % 253)}`;
}

function logIn(
  url: string,
  credentials: object,
  timeoutMs: number,
  localAddress: string,
): Promise<number | undefined> {
  const body = JSON.stringify(credentials);
  return new Promise((resolve) => {
    const req = request(
      `${url}/api/authenticate`,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('error', () => resolve(undefined));
    req.end(body);
  });
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
        logIn(stack.url, credentials, 15_000, floodAddress(n)).then((status) => {
          const key = status === undefined ? 'no answer' : String(status);
          flood.set(key, (flood.get(key) ?? 0) + 1);
        }),
      );
    }, 1000 / floodPerSecond);
    const legitimateTimer = setInterval(() => {
      legitimate++;
      pending.push(
        logIn(stack.url, { username: 'admin', password: 'admin' }, legitimateLimitMs, '127.0.0.1').then(
          (status) => {
            if (status === 200) succeeded++;
          },
        ),
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
