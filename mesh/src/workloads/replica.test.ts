import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Endpoint } from '../endpoints/registry.ts';
import { silentLogger } from '../log.ts';
import { Prober } from './probe.ts';
import { defaultTiming, Replica } from './replica.ts';

// Listens only after 700 ms, as a slow program does while it loads.
const slowServer = `
const { createServer } = require('node:http');
setTimeout(() => createServer((req, res) => res.end('up')).listen(Number(process.env.PORT), '127.0.0.1'), 700);
`;

describe('a replica without a readiness probe', () => {
  const prober = new Prober();
  let replica: Replica | undefined;

  afterEach(async () => {
    await replica?.stop();
  });

  afterAll(() => prober.close());

  it('joins the endpoints only once its port accepts connections, so its first request is answered', async () => {
    let joined: (endpoint: Endpoint) => void = () => {};
    const ready = new Promise<Endpoint>((resolve) => {
      joined = resolve;
    });
    replica = new Replica(
      {
        name: 'slow-0',
        namespace: 'test',
        labels: {},
        cwd: process.cwd(),
        launch: (port) => ({
          file: process.execPath,
          args: ['-e', slowServer],
          env: { PORT: String(port), PATH: process.env.PATH ?? '' },
        }),
        readinessProbe: undefined,
        livenessProbe: undefined,
      },
      silentLogger,
      prober,
      { ready: (endpoint) => joined(endpoint), unready: () => {}, spawned: () => {}, exited: () => {} },
      { ...defaultTiming, startupPollMs: 50 },
    );
    const started = Date.now();
    await replica.start();
    const endpoint = await ready;
    const res = await request(endpoint.origin);
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('up');
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });
});
