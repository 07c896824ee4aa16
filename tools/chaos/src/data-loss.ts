import type { Acknowledged } from './traffic.ts';

export interface DataCheck {
  readonly checked: number;
  /** Acknowledged (201) and now answered 404. */
  readonly missing: number;
  /** Could not be looked up (no 200 or 404 after retries): neither found nor known lost. */
  readonly unverified: number;
}

const concurrency = 16;
const attempts = 3;

/** Looks up every acknowledged track by id through the ingress: acknowledged data must stay. */
export async function checkAcknowledged(
  url: string,
  token: string,
  acknowledged: readonly Acknowledged[],
): Promise<DataCheck> {
  let missing = 0;
  let unverified = 0;
  const queue = [...acknowledged];
  const worker = async () => {
    for (let track = queue.pop(); track; track = queue.pop()) {
      const status = await lookUp(url, token, track.id);
      if (status === 404) missing++;
      else if (status !== 200) unverified++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { checked: acknowledged.length, missing, unverified };
}

async function lookUp(url: string, token: string, id: string): Promise<number | undefined> {
  let status: number | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const response = await fetch(`${url}/back/api/tracks/${encodeURIComponent(id)}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(5000),
      });
      await response.arrayBuffer();
      status = response.status;
      if (status === 200 || status === 404) return status;
    } catch {
      status = undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return status;
}
