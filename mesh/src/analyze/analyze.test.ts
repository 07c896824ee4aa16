import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readManifestSources } from '../control/client.ts';
import { formatMessage } from './messages.ts';
import { analyzeSources } from './sources.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const tutorial = (name: string) => readFile(`${repo}mesh/test/fixtures/tutorial/${name}`, 'utf8');

/** The tutorial's start: our workloads and its Gateway, before any DestinationRule. */
async function analyzeWithDeploy(file: string, text: string) {
  const deploy = await readManifestSources(
    ['deploy/kubernetes', 'deploy/istio/gateway.yaml'],
    async () => '',
    repo,
  );
  return analyzeSources([...deploy, { file, text }]).map(formatMessage);
}

const codes = (lines: string[]) => lines.map((line) => /\[(IST\d+)\]/.exec(line)?.[1]);

const backDr = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: back, namespace: music }
spec:
  host: back
  subsets:
    - { name: v1, labels: { version: v1 } }
`;

describe('analyze', () => {
  it('finds nothing wrong in what `npm start` runs, but the DestinationRules of the services step 3 brings', async () => {
    const deploy = await readManifestSources(['deploy/kubernetes', 'deploy/istio'], async () => '', repo);
    expect(analyzeSources(deploy).map((m) => `${m.code} ${m.origin.name}`)).toEqual([
      'IST0174 client',
      'IST0174 spotify-sandbox',
    ]);
  });

  it("reports the tutorial's canary: undefined subsets (IST0101) and the gateway trap (IST0140) in plain words", async () => {
    const lines = await analyzeWithDeploy('canary.yaml', await tutorial('back-virtualservice-canary.yaml'));
    expect(lines[0]).toContain(
      'Error [IST0101] (VirtualService music/back-virtualservice canary.yaml) Referenced host+subset in destinationrule not found: "back+v1"\n',
    );
    expect(codes(lines)).toEqual(['IST0101', 'IST0101', 'IST0140']);
    expect(lines[2]).toContain(
      'Warning [IST0140] (VirtualService music/back-gw-virtualservice deploy/istio/gateway.yaml (document 2)) Subset in virtual service music/back-virtualservice has no effect on ingress gateway music/back-gw-virtualservice requests',
    );
    expect(lines[2]).toContain(
      "the canary never touches browser traffic entering through music-gateway; put the weights on back-gw-virtualservice's /back route",
    );
  });

  it('reports a mirror to an undefined subset as mirror+subset', async () => {
    const lines = await analyzeWithDeploy('mirror.yaml', await tutorial('back-virtualservice-mirror.yaml'));
    expect(lines.join('\n')).toContain('Referenced mirror+subset in destinationrule not found: "back+v3"');
  });

  it('reports a destination host without a Service and a Gateway that does not exist (IST0101)', async () => {
    const lines = await analyzeWithDeploy(
      'typos.yaml',
      `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: typos, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gatewy]
  http:
    - route: [{ destination: { host: bak } }]
`,
    );
    expect(lines).toContain(
      'Error [IST0101] (VirtualService music/typos typos.yaml) Referenced gateway not found: "music-gatewy"',
    );
    expect(lines).toContain(
      'Error [IST0101] (VirtualService music/typos typos.yaml) Referenced host not found: "bak"',
    );
  });

  it('reports schema errors (IST0106), including destinations whose weights add up to 0', async () => {
    const lines = await analyzeWithDeploy(
      'weights.yaml',
      `${backDr}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: zero, namespace: music }
spec:
  hosts: [back]
  http:
    - route:
        - { destination: { host: back, subset: v1 }, weight: 0 }
        - { destination: { host: back, subset: v1 }, weight: 0 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: broken, namespace: music }
spec:
  replicas: two
  template: { metadata: { labels: { app: broken } }, spec: { containers: [{ name: x, image: music/back }] } }
`,
    );
    expect(lines.join('\n')).toContain(
      'Error [IST0106] (VirtualService music/zero weights.yaml (document 2)) Schema validation error: spec.http[0].route',
    );
    expect(lines.join('\n')).toContain('total destination weight = 0');
    expect(lines.join('\n')).toContain(
      'Error [IST0106] (Deployment music/broken weights.yaml (document 3)) Schema validation error: spec.replicas: must be an integer >= 0',
    );
  });

  it('reports two mesh VirtualServices for one host (IST0109)', async () => {
    const vs = (name: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: music }
spec:
  hosts: [back]
  http: [{ route: [{ destination: { host: back } }] }]
`;
    const lines = await analyzeWithDeploy('twice.yaml', `${vs('one')}---${vs('two')}`);
    expect(codes(lines)).toEqual(['IST0109', 'IST0109']);
    expect(lines[0]).toContain(
      'The VirtualServices music/one,music/two associated with mesh gateway define the same host */back.music.svc.cluster.local',
    );
  });

  it('reports a Service port not named by its protocol (IST0118)', async () => {
    const lines = await analyzeWithDeploy(
      'svc.yaml',
      `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: music }
spec:
  selector: { app: web }
  ports: [{ name: web, port: 8080, targetPort: 8080 }, { name: http-web, port: 8081 }]
`,
    );
    expect(lines).toEqual([
      "Info [IST0118] (Service music/web svc.yaml) Port name web (port: 8080, targetPort: 8080) doesn't follow the naming convention of Istio port.",
    ]);
  });

  it('reports a rule after a catch-all (IST0130) and a match an earlier prefix covers (IST0131)', async () => {
    const lines = await analyzeWithDeploy(
      'order.yaml',
      `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: order, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - name: front
      match: [{ uri: { prefix: / } }]
      route: [{ destination: { host: front } }]
    - name: back
      match: [{ uri: { prefix: /back } }]
      route: [{ destination: { host: back } }]
    - route: [{ destination: { host: front } }]
    - name: never
      route: [{ destination: { host: back } }]
`,
    );
    expect(lines.join('\n')).toContain(
      'Warning [IST0130] (VirtualService music/order order.yaml) VirtualService rule "never" not used (only the last rule can have no matches).',
    );
    expect(lines.join('\n')).toContain(
      'Info [IST0131] (VirtualService music/order order.yaml) VirtualService rule "back" match #0 of prefix /back is not used (duplicate/overlapping match in rule #0 of prefix / on "front").',
    );
  });

  it('reports a DestinationRule subset that selects no pod (IST0173)', async () => {
    const lines = await analyzeWithDeploy(
      'dr.yaml',
      backDr.replace(
        '- { name: v1, labels: { version: v1 } }',
        '- { name: v1, labels: { version: v1 } }\n    - { name: v2, labels: { version: v2 } }',
      ),
    );
    expect(lines).toEqual([
      'Error [IST0173] (DestinationRule music/back dr.yaml) The Subset v2 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).\n    No Deployment in music runs pods labelled app=back, version=v2; requests routed to subset v2 get 503 "no healthy upstream" until one does.',
    ]);
  });
});
