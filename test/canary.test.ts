import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMusic, removeDataDir, startMusic } from './support/music.ts';

// The tutorial's story on the local runtime, from YAML applied while the app runs: a second
// Deployment of back, subsets, a 90/10 split on the gateway route, then a mirror.
const backV2 = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: back-v2, namespace: music, labels: { app: back, version: v2 } }
spec:
  replicas: 1
  selector: { matchLabels: { app: back, version: v2 } }
  template:
    metadata: { labels: { app: back, version: v2 } }
    spec:
      containers:
        - name: back
          image: music/back:0.1.0
          ports: [{ name: http, containerPort: 8080 }]
          env:
            - { name: APP_VERSION, value: v2 }
            - { name: JWKS_URL, value: "http://front:8080/.well-known/jwks.json" }
            - name: DATABASE_URL
              valueFrom: { secretKeyRef: { name: music-db, key: url } }
          readinessProbe: { httpGet: { path: /back/management/health/readiness, port: http } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: back, namespace: music }
spec:
  host: back
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
`;

const gatewayRoutes = (backRoute: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back-gw-virtualservice, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - name: back
      match: [{ uri: { prefix: /back } }]
${backRoute}
    - name: front
      match: [{ uri: { prefix: / } }]
      route: [{ destination: { host: front, port: { number: 8080 } } }]
`;

const split9010 = gatewayRoutes(`      route:
        - { destination: { host: back, subset: v1 }, weight: 90 }
        - { destination: { host: back, subset: v2 }, weight: 10 }`);

const mirrorToV2 = gatewayRoutes(`      route:
        - { destination: { host: back, subset: v1 } }
      mirror: { host: back, subset: v2 }`);

/** istio_requests_total summed by destination_version, for one reporter. */
async function requestsByVersion(statsUrl: string, reporter: string): Promise<Record<string, number>> {
  const text = await (await fetch(statsUrl)).text();
  const totals: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('istio_requests_total{') || !line.includes(`reporter="${reporter}"`)) continue;
    if (
      !line.includes('destination_service_name="back"') ||
      !line.includes('source_workload="istio-ingressgateway"')
    )
      continue;
    const version = /destination_version="([^"]*)"/.exec(line)?.[1] ?? '?';
    totals[version] = (totals[version] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return totals;
}

describe('a canary on the local runtime', () => {
  let music: RunningMusic;

  beforeAll(async () => {
    music = await startMusic();
    await music.runtime.apply('back-v2.yaml', backV2);
    const deadline = Date.now() + 30_000;
    while (music.runtime.endpoints('back').length < 2) {
      if (Date.now() > deadline) throw new Error('back-v2 never became ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  afterAll(async () => {
    await music?.stop();
    if (music) await removeDataDir(music.dataDir);
  });

  it('sends about 90/10 to v1/v2, as X-Served-By and istio_requests_total both show', async () => {
    await music.runtime.apply('split.yaml', split9010);
    const before = await requestsByVersion(music.runtime.statsUrl, 'destination');
    const n = 1000;
    const served: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const response = await fetch(`${music.url}/back/management/health/liveness`);
      expect(response.status).toBe(200);
      const by = response.headers.get('x-served-by') ?? '?';
      served[by] = (served[by] ?? 0) + 1;
    }
    // Binomial(1000, 0.1): σ ≈ 9.5; ±5σ never flakes and still catches a wrong split.
    expect(served['back-v2']).toBeGreaterThan(100 - 48);
    expect(served['back-v2']).toBeLessThan(100 + 48);
    expect((served['back-v1'] ?? 0) + (served['back-v2'] ?? 0)).toBe(n);

    const after = await requestsByVersion(music.runtime.statsUrl, 'destination');
    expect((after.v1 ?? 0) - (before.v1 ?? 0)).toBe(served['back-v1']);
    expect((after.v2 ?? 0) - (before.v2 ?? 0)).toBe(served['back-v2']);
  });

  it('mirrors every request to v2 while v1 alone answers', async () => {
    await music.runtime.apply('mirror.yaml', mirrorToV2);
    const before = await requestsByVersion(music.runtime.statsUrl, 'destination');
    const n = 50;
    for (let i = 0; i < n; i++) {
      const response = await fetch(`${music.url}/back/management/health/liveness`);
      expect(response.headers.get('x-served-by')).toBe('back-v1');
    }
    await expect
      .poll(async () => {
        const after = await requestsByVersion(music.runtime.statsUrl, 'destination');
        return (after.v2 ?? 0) - (before.v2 ?? 0);
      })
      .toBe(n);
  });
});
