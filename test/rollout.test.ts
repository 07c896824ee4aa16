import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, type RunningMusic, removeDataDir, startMusic } from './support/music.ts';
import { applyStep, waitForEndpoints } from './support/rollout.ts';

// The tutorial's rollout as docs/rollout.md tells it: each folder of deploy/steps applied in turn
// to the running app, as `npm run mesh -- apply -f deploy/steps/<step>` does, then requests through
// the ingress. The split is measured twice, in the answers (X-Served-By) and in Istio's metrics
// (istio_requests_total by destination_version, destination reporter), and must sit within ±5σ of
// the weights: never flaky, and still far from any neighbouring split.

const health = '/back/management/health/liveness';

type Counts = Record<string, number>;

let music: RunningMusic;

/** istio_requests_total to back from the ingress gateway, summed by destination_version; `2` counts 2xx only. */
async function requestsByVersion(codeClass?: string): Promise<Counts> {
  const text = await (await fetch(music.runtime.statsUrl)).text();
  const totals: Counts = {};
  for (const line of text.split('\n')) {
    if (
      !line.startsWith('istio_requests_total{') ||
      !line.includes('reporter="destination"') ||
      !line.includes('destination_service_name="back"') ||
      !line.includes('source_workload="istio-ingressgateway"') ||
      (codeClass !== undefined && !line.includes(`response_code="${codeClass}`))
    )
      continue;
    const version = /destination_version="([^"]*)"/.exec(line)?.[1] ?? '?';
    totals[version] = (totals[version] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return totals;
}

const difference = (after: Counts, before: Counts): Counts =>
  Object.fromEntries(
    Object.keys(after)
      .map((version) => [version, (after[version] ?? 0) - (before[version] ?? 0)] as const)
      .filter(([, count]) => count > 0),
  );

/** `n` requests through the ingress: who answered (X-Served-By) and what the metrics counted. */
async function measure(n: number): Promise<{ served: Counts; counted: Counts }> {
  const before = await requestsByVersion();
  const served: Counts = {};
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${music.url}${health}`);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const version = (response.headers.get('x-served-by') ?? '?').replace(/^back-/, '');
    served[version] = (served[version] ?? 0) + 1;
  }
  return { served, counted: difference(await requestsByVersion(), before) };
}

/** Binomial(n, p): the count of `version` within ±5σ of n·p, and every answer from `versions`. */
function expectSplit(served: Counts, n: number, weights: Record<string, number>): void {
  expect(Object.keys(served).sort()).toEqual(
    Object.keys(weights)
      .filter((v) => (weights[v] ?? 0) > 0)
      .sort(),
  );
  for (const [version, percent] of Object.entries(weights)) {
    const p = percent / 100;
    const bound = 5 * Math.sqrt(n * p * (1 - p));
    const count = served[version] ?? 0;
    expect(
      count,
      `${version}: ${count} of ${n}, expected ${n * p} ± ${bound.toFixed(1)}`,
    ).toBeGreaterThanOrEqual(n * p - bound);
    expect(
      count,
      `${version}: ${count} of ${n}, expected ${n * p} ± ${bound.toFixed(1)}`,
    ).toBeLessThanOrEqual(n * p + bound);
  }
}

describe('the rollout in deploy/steps on the local runtime', () => {
  beforeAll(async () => {
    music = await startMusic();
  });

  afterAll(async () => {
    await music?.stop();
    if (music) await removeDataDir(music.dataDir);
  });

  it('step 1 (1-v1): every request to back reaches v1', async () => {
    await applyStep(music.runtime, '1-v1');
    const n = 200;
    const { served, counted } = await measure(n);
    expect(served).toEqual({ v1: n });
    expect(counted).toEqual({ v1: n });
  });

  it('step 2 (2-canary-v2): about 90/10 to v1/v2', async () => {
    await applyStep(music.runtime, '2-canary-v2');
    await waitForEndpoints(music.runtime, 'back', 2);
    const n = 1000;
    const { served, counted } = await measure(n);
    // Binomial(1000, 0.1): σ ≈ 9.5, so v2 answers 53 to 147 times.
    expectSplit(served, n, { v1: 90, v2: 10 });
    expect(counted).toEqual(served);
  });

  it('step 3 (3-mirror-v3): v2 answers everything, and v3 receives a copy of each request', async () => {
    await applyStep(music.runtime, '3-mirror-v3');
    await waitForEndpoints(music.runtime, 'spotify-sandbox', 1);
    await waitForEndpoints(music.runtime, 'client', 1);
    await waitForEndpoints(music.runtime, 'back', 3);
    const n = 200;
    const before = await requestsByVersion();
    const { served } = await measure(n);
    expect(served).toEqual({ v2: n });
    // The copies are fire and forget: counted at v3 once each has been answered there.
    await expect.poll(async () => difference(await requestsByVersion(), before)).toEqual({ v2: n, v3: n });
  });

  it('step 3: the mirror creates no duplicates (v3 handles a copy of the POST, only v2 writes)', async () => {
    const token = await login(music.url, 'admin', 'admin');
    const title = `Mirror check ${Date.now()}`;
    const before = await requestsByVersion('2');
    const beforeAnyCode = await requestsByVersion();
    const created = await fetch(`${music.url}/back/api/tracks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title, artist: 'Rollout' }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-served-by')).toBe('back-v2');
    // v3 answered its copy with a success, so it really handled the POST (and whatever it would
    // write is written by now).
    await expect.poll(async () => difference(await requestsByVersion('2'), before)).toEqual({ v2: 1, v3: 1 });
    const listed = await fetch(`${music.url}/back/api/tracks?size=100&q=${encodeURIComponent(title)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(listed.status).toBe(200);
    const tracks = (await listed.json()) as { title: string }[];
    expect(tracks.filter((track) => track.title === title)).toHaveLength(1);
    // The listing was mirrored too: let its copy finish, whatever v3 answers, before step 4 counts.
    await expect.poll(async () => difference(await requestsByVersion(), beforeAnyCode).v3).toBe(2);
  });

  it('step 4 (4-split-v2-v3): about 30/70 to v2/v3', async () => {
    await applyStep(music.runtime, '4-split-v2-v3');
    const n = 1000;
    const { served, counted } = await measure(n);
    // Binomial(1000, 0.7): σ ≈ 14.5, so v3 answers 628 to 772 times.
    expectSplit(served, n, { v2: 30, v3: 70 });
    expect(counted).toEqual(served);
  });

  it('step 5 (5-promote-v3): every request to back reaches v3', async () => {
    await applyStep(music.runtime, '5-promote-v3');
    const n = 200;
    const { served, counted } = await measure(n);
    expect(served).toEqual({ v3: n });
    expect(counted).toEqual({ v3: n });
  });

  it('step 5: v3 lists the Spotify catalogue through client and the sandbox, all through the mesh', async () => {
    const token = await login(music.url, 'admin', 'admin');
    const response = await fetch(`${music.url}/back/api/tracks?q=radiohead&size=5`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-served-by')).toBe('back-v3');
    const tracks = (await response.json()) as { source: string; artist: string; albumArtUrl: string }[];
    expect(tracks.length).toBeGreaterThan(0);
    expect(tracks.every((track) => track.source === 'spotify' && /radiohead/i.test(track.artist))).toBe(true);
    // The album art a browser loads goes through the gateway's /images/ route to the sandbox.
    const art = await fetch(tracks[0]?.albumArtUrl ?? '');
    expect(art.status).toBe(200);
    expect(art.headers.get('content-type')).toContain('image/svg+xml');
    const stats = await (await fetch(music.runtime.statsUrl)).text();
    const hop = (source: string, destination: string) =>
      stats
        .split('\n')
        .some(
          (line) =>
            line.startsWith('istio_requests_total{reporter="destination"') &&
            line.includes(`source_workload="${source}"`) &&
            line.includes(`destination_service_name="${destination}"`),
        );
    expect(hop('back-v3', 'client')).toBe(true);
    expect(hop('client', 'spotify-sandbox')).toBe(true);
  });
});
