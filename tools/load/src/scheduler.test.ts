import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOpenLoop } from './scheduler.ts';

/** Answers after `delay` ms, set per test. */
let delay = 0;
let server: Server;
let url: string;
const agent = new Agent({ connections: 1000 });

beforeAll(async () => {
  server = createServer((_req, res) => {
    setTimeout(() => res.end('ok'), delay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await agent.close();
  await new Promise((resolve) => server.close(resolve));
});

async function load(rate: number, durationMs: number, maxInFlight: number) {
  const starts: number[] = [];
  const latencies: number[] = [];
  const loop = runOpenLoop({ rate, durationMs, maxInFlight }, async (arrival) => {
    starts.push(performance.now());
    const response = await request(url, { dispatcher: agent });
    await response.body.dump();
    latencies.push(performance.now() - arrival.dueAt);
  });
  const result = await loop.done;
  return { result, starts, latencies };
}

describe('runOpenLoop', () => {
  it('offers the same rate whether answers take 0 or 300 ms', async () => {
    delay = 0;
    const fast = await load(100, 1000, 500);
    delay = 300;
    const slow = await load(100, 1000, 500);
    for (const { result, starts } of [fast, slow]) {
      expect(result.offered).toBe(100);
      expect(result.started).toBe(100);
      expect(result.dropped + result.unsent).toBe(0);
      // Sent on schedule: the last start comes about 1 s after the first, not after 100 answers
      // (30 s one after the other at 300 ms); wide bounds, as a loaded CI machine's timers lag.
      const spread = (starts.at(-1) as number) - (starts[0] as number);
      expect(spread).toBeGreaterThan(850);
      expect(spread).toBeLessThan(2500);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] as number;
    expect(median(slow.latencies)).toBeGreaterThanOrEqual(300);
    expect(median(fast.latencies)).toBeLessThan(250);
  });

  it('queues behind the concurrency cap and counts the wait as latency', async () => {
    delay = 100;
    // 4 in flight × 10 answers/s each = 40/s served, 100/s offered: the queue grows.
    const { result, latencies } = await load(100, 1000, 4);
    expect(result.offered).toBe(100);
    expect(result.started).toBeLessThan(70);
    expect(result.unsent).toBe(100 - result.started - result.dropped);
    expect(result.maxQueued).toBeGreaterThan(20);
    expect(Math.max(...latencies)).toBeGreaterThan(400);
  });

  it('drops arrivals that find the queue full, and stops on abort', async () => {
    delay = 200;
    const dropped = await runOpenLoop(
      { rate: 200, durationMs: 500, maxInFlight: 1, maxQueue: 5 },
      async () => {
        await new Promise((resolve) => setTimeout(resolve, delay));
      },
    ).done;
    expect(dropped.offered).toBe(100);
    expect(dropped.dropped).toBeGreaterThan(80);
    expect(dropped.offered).toBe(dropped.started + dropped.dropped + dropped.unsent);

    const aborter = new AbortController();
    setTimeout(() => aborter.abort(), 200);
    const stopped = await runOpenLoop(
      { rate: 100, durationMs: 10_000, maxInFlight: 10, signal: aborter.signal },
      async () => undefined,
    ).done;
    // 20 arrivals are due by the abort; 1000 would be without it.
    expect(stopped.offered).toBeGreaterThan(10);
    expect(stopped.offered).toBeLessThan(150);
  });
});
