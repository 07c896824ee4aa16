import { readdir, readFile } from 'node:fs/promises';
import type { Runtime } from '@music/mesh';

const steps = new URL('../../deploy/steps/', import.meta.url);

/**
 * Every YAML file of one deploy/steps folder, in name order, applied to the running app as
 * `npm run mesh -- apply -f deploy/steps/<step>` does (what `kubectl apply -f <dir>` takes: not
 * its Kustomization).
 */
export async function applyStep(runtime: Runtime, step: string): Promise<void> {
  const files = (await readdir(new URL(`${step}/`, steps))).filter((file) => /\.ya?ml$/.test(file));
  for (const file of files.sort()) {
    await runtime.apply(
      `deploy/steps/${step}/${file}`,
      await readFile(new URL(`${step}/${file}`, steps), 'utf8'),
    );
  }
}

/** Waits until `service` has at least `count` ready endpoints. */
export async function waitForEndpoints(
  runtime: Runtime,
  service: string,
  count: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (runtime.endpoints(service).length < count) {
    if (Date.now() > deadline) {
      throw new Error(`${service}: ${runtime.endpoints(service).length} of ${count} endpoints ready`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Sends all browser traffic for /back to one subset of back: deploy/steps/5-promote-v3's
 * back-gw-virtualservice (with its /images/ and / routes) with `subset` in place of v3. The subset
 * must be in back's DestinationRule (deploy/steps/2-canary-v2 adds v2, 3-mirror-v3 adds v3).
 */
export async function routeBackTo(runtime: Runtime, subset: 'v1' | 'v2' | 'v3'): Promise<void> {
  await runtime.apply(
    `test/back-gw-virtualservice-${subset}.yaml`,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: back-gw-virtualservice
  namespace: music
  labels:
    service: back-gw-virtualservice
spec:
  hosts:
    - "*"
  gateways:
    - music-gateway
  http:
    - name: back
      match:
        - uri:
            prefix: /back
      route:
        - destination:
            host: back
            subset: ${subset}
            port:
              number: 8080
    - name: album-art
      match:
        - uri:
            prefix: /images/
      route:
        - destination:
            host: spotify-sandbox
            port:
              number: 8080
    - name: front
      match:
        - uri:
            prefix: /
      route:
        - destination:
            host: front
            port:
              number: 8080
`,
  );
}
