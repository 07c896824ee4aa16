import { newTrack, seededRandom } from '../../load/src/scenario.ts';

/** One request of the steady load: when it was sent, and whether it succeeded (2xx). */
export interface Sample {
  /** performance.now() when it was sent. */
  readonly at: number;
  readonly ok: boolean;
}

/** A track whose creation back acknowledged (201), to be found again after each probe. */
export interface Acknowledged {
  readonly id: string;
  readonly at: number;
}

export interface Traffic {
  readonly samples: readonly Sample[];
  readonly acknowledged: readonly Acknowledged[];
  /** Stops sending; resolves when the requests in flight have ended. */
  stop(): Promise<void>;
}

export interface TrafficOptions {
  readonly url: string;
  readonly token: string;
  readonly rps: number;
  /** Share of requests that create a track; the rest list tracks. */
  readonly writeShare: number;
  readonly timeoutMs: number;
}

/** Beyond this many requests in flight an arrival counts as failed: a user would not be served. */
const maxInFlight = 256;

/**
 * Steady open-loop load through the ingress, as users would offer it whatever the answers take:
 * lists of /back/api/tracks and track creations with an admin token.
 */
export function startTraffic(options: TrafficOptions): Traffic {
  const samples: Sample[] = [];
  const acknowledged: Acknowledged[] = [];
  const random = seededRandom(7);
  const inFlight = new Set<Promise<void>>();
  const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' };
  const send = async (at: number): Promise<void> => {
    const write = random() < options.writeShare;
    try {
      const response = await fetch(`${options.url}/back/api/tracks${write ? '' : '?page=0&size=20'}`, {
        method: write ? 'POST' : 'GET',
        headers,
        ...(write ? { body: JSON.stringify(newTrack(random)) } : {}),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const body = await response.text();
      if (write && response.status === 201)
        acknowledged.push({ id: (JSON.parse(body) as { id: string }).id, at });
      samples.push({ at, ok: response.status >= 200 && response.status < 300 });
    } catch {
      samples.push({ at, ok: false });
    }
  };
  const timer = setInterval(() => {
    const at = performance.now();
    if (inFlight.size >= maxInFlight) {
      samples.push({ at, ok: false });
      return;
    }
    const request = send(at).finally(() => inFlight.delete(request));
    inFlight.add(request);
  }, 1000 / options.rps);
  return {
    samples,
    acknowledged,
    stop: async () => {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
