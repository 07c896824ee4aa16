/**
 * Open-loop arrivals: request i is due at start + i / rate, whatever happened to the ones before.
 * A slow backend therefore shows as latency (measured from the due time, so queueing counts) and as
 * a queue, never as a lower offered rate. At most `maxInFlight` tasks run at once; arrivals beyond
 * that wait in a queue of at most `maxQueue`, and those that find it full are dropped (counted).
 */
export interface OpenLoopOptions {
  /** Arrivals per second. */
  readonly rate: number;
  readonly durationMs: number;
  readonly maxInFlight: number;
  /** Default: one second's worth of arrivals, at least 100. */
  readonly maxQueue?: number | undefined;
  /** Stops new arrivals; running tasks are awaited (each should honour the signal itself). */
  readonly signal?: AbortSignal | undefined;
  /** Milliseconds; injectable for tests. Default performance.now. */
  readonly now?: (() => number) | undefined;
}

export interface Arrival {
  /** Sequence number, from 0. */
  readonly index: number;
  /** When it was due (same clock as `now`): latency is measured from here. */
  readonly dueAt: number;
}

export interface OpenLoopResult {
  /** Arrivals that were due while the loop ran (the offered load). */
  readonly offered: number;
  readonly started: number;
  /** Found the queue full. */
  readonly dropped: number;
  /** Still queued when the loop ended; never started. */
  readonly unsent: number;
  readonly maxQueued: number;
  readonly elapsedMs: number;
}

export interface OpenLoopState {
  readonly offered: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly dropped: number;
}

export interface OpenLoop {
  readonly state: () => OpenLoopState;
  readonly done: Promise<OpenLoopResult>;
}

/** The longest a timer waits before the loop looks again (keeps Ctrl-C and the end prompt). */
const maxSleepMs = 50;

export function runOpenLoop(options: OpenLoopOptions, task: (arrival: Arrival) => Promise<void>): OpenLoop {
  const now = options.now ?? (() => performance.now());
  const interval = 1000 / options.rate;
  const maxQueue = options.maxQueue ?? Math.max(100, Math.ceil(options.rate));
  const start = now();
  const end = start + options.durationMs;
  const queue: Arrival[] = [];
  const running = new Set<Promise<void>>();
  let offered = 0;
  let started = 0;
  let dropped = 0;
  let maxQueued = 0;

  const launch = (arrival: Arrival) => {
    started++;
    const promise: Promise<void> = task(arrival)
      .catch(() => undefined)
      .finally(() => {
        running.delete(promise);
        pump();
      });
    running.add(promise);
  };
  const pump = () => {
    while (running.size < options.maxInFlight && queue.length > 0 && !options.signal?.aborted) {
      launch(queue.shift() as Arrival);
    }
  };

  const done = (async (): Promise<OpenLoopResult> => {
    while (!options.signal?.aborted) {
      const t = now();
      const dueUntil = Math.min(t, end);
      while (offered * interval + start <= dueUntil && start + offered * interval < end) {
        const arrival = { index: offered, dueAt: start + offered * interval };
        offered++;
        if (running.size < options.maxInFlight && queue.length === 0) launch(arrival);
        else if (queue.length < maxQueue) {
          queue.push(arrival);
          maxQueued = Math.max(maxQueued, queue.length);
        } else dropped++;
      }
      if (t >= end) break;
      const nextDue = start + offered * interval;
      await sleep(Math.max(0, Math.min(maxSleepMs, nextDue - now(), end - now())), options.signal);
    }
    const elapsedMs = Math.min(now(), end) - start;
    const unsent = queue.length;
    queue.length = 0;
    while (running.size > 0) await Promise.all(running);
    return { offered, started, dropped, unsent, maxQueued, elapsedMs };
  })();

  return {
    state: () => ({ offered, inFlight: running.size, queued: queue.length, dropped }),
    done,
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
