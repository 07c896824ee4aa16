import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { repoRoot, yamlFilesUnder } from '@music/mesh';
import { ChaosError } from '../errors.ts';
import type { Probe } from '../probe.ts';

const applies = 20;
const pauseMs = 500;

/** The gateway's /back route split between v1 and v2, with the step's other routes. */
function gatewayRoute(v1: number): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: back-gw-virtualservice
  namespace: music
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - name: back
      match: [{ uri: { prefix: /back } }]
      route:
        - destination: { host: back, subset: v1, port: { number: 8080 } }
          weight: ${v1}
        - destination: { host: back, subset: v2, port: { number: 8080 } }
          weight: ${100 - v1}
    - name: front
      match: [{ uri: { prefix: / } }]
      route:
        - destination: { host: front, port: { number: 8080 } }
`;
}

/** 20 applies alternating back's weights 90/10 and 10/90 between v1 and v2, 0.5 s apart. */
export const routingChurn: Probe = {
  name: 'routing-churn',
  title: '20 live routing changes (v1/v2 weights)',
  async prepare({ stack, out }) {
    // deploy/steps/2-canary-v2 brings back-v2 and the subsets to route between.
    for (const file of await yamlFilesUnder(`${repoRoot}/deploy/steps/2-canary-v2`))
      await stack.apply(relative(repoRoot, file), await readFile(file, 'utf8'));
    out('  applied deploy/steps/2-canary-v2; waiting for back-v2...');
    const deadline = Date.now() + 120_000;
    while (!(await stack.pods()).some((p) => p.name.startsWith('back-v2') && p.ready)) {
      if (Date.now() > deadline) throw new ChaosError('back-v2 was not ready within 120 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  },
  async run({ stack }) {
    for (let n = 0; n < applies; n++) {
      await stack.apply('chaos/back-gw-virtualservice.yaml', gatewayRoute(n % 2 === 0 ? 10 : 90));
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    return { detail: `${applies} applies of back-gw-virtualservice, weights 10/90 ⇄ 90/10` };
  },
};
