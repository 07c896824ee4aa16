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
      'Error [IST0101] (VirtualService music/back-virtualservice canary.yaml:12) Referenced host+subset in destinationrule not found: "back+v1"\n',
    );
    expect(codes(lines)).toEqual(['IST0101', 'IST0101', 'IST0140']);
    expect(lines[2]).toContain(
      'Warning [IST0140] (VirtualService music/back-gw-virtualservice deploy/istio/gateway.yaml:41) Subset in virtual service music/back-virtualservice has no effect on ingress gateway music/back-gw-virtualservice requests',
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
      'Error [IST0101] (VirtualService music/typos typos.yaml:7) Referenced gateway not found: "music-gatewy"',
    );
    expect(lines).toContain(
      'Error [IST0101] (VirtualService music/typos typos.yaml:9) Referenced host not found: "bak"',
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
      'Error [IST0106] (VirtualService music/zero weights.yaml:16) Schema validation error: spec.http[0].route',
    );
    expect(lines.join('\n')).toContain('total destination weight = 0');
    expect(lines.join('\n')).toContain(
      'Error [IST0106] (Deployment music/broken weights.yaml:24) Schema validation error: spec.replicas: must be an integer >= 0',
    );
  });

  it('gives every problem of a refused resource its own message and line, misspelt fields by path', async () => {
    const lines = await analyzeWithDeploy(
      'typos.yaml',
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: typos, namespace: music }
spec:
  hosts: [back]
  http:
    - route: [{ destination: { host: back } }]
      timout: 5s
      corsPolicy: { allowOrigins: [{ exact: "https://example.com" }] }
`,
    );
    expect(lines.filter((line) => line.includes('typos'))).toEqual([
      'Error [IST0106] (VirtualService music/typos typos.yaml:8) Schema validation error: unknown field "spec.http[0].timout"; did you mean "timeout"?',
      'Warning [MESH0001] (VirtualService music/typos typos.yaml:9) The local runtime would refuse this resource at apply: spec.http[0].corsPolicy: is not supported by the local runtime yet',
    ]);
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
      "Info [IST0118] (Service music/web svc.yaml:7) Port name web (port: 8080, targetPort: 8080) doesn't follow the naming convention of Istio port.",
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
      'Warning [IST0130] (VirtualService music/order order.yaml:16) VirtualService rule "never" not used (only the last rule can have no matches).',
    );
    expect(lines.join('\n')).toContain(
      'Info [IST0131] (VirtualService music/order order.yaml:13) VirtualService rule "back" match #0 of prefix /back is not used (duplicate/overlapping match in rule #0 of prefix / on "front").',
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
      'Error [IST0173] (DestinationRule music/back dr.yaml:9) The Subset v2 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).\n    No Deployment in music runs pods labelled app=back, version=v2; requests routed to subset v2 get 503 "no healthy upstream" until one does.',
    ]);
  });

  it('reports a destination without port on a Service of two ports (IST0112) and a port the Service lacks (IST0101)', async () => {
    const lines = await analyzeWithDeploy(
      'ports.yaml',
      `apiVersion: v1
kind: Service
metadata: { name: two, namespace: music }
spec:
  selector: { app: back }
  ports: [{ name: http, port: 8080 }, { name: http-admin, port: 9090 }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: two, namespace: music }
spec:
  hosts: [two]
  http:
    - match: [{ uri: { prefix: /a } }]
      route:
        - destination:
            host: two
    - mirror: { host: two, port: { number: 7070 } }
      route: [{ destination: { host: two, port: { number: 8080 } } }]
`,
    );
    expect(lines).toEqual([
      'Error [IST0112] (VirtualService music/two ports.yaml:17) This VirtualService routes to a service "two" that exposes multiple ports [8080 9090]. Specifying a port in the destination is required to disambiguate.',
      'Error [IST0101] (VirtualService music/two ports.yaml:18) Referenced host:port not found: "two:7070"',
    ]);
  });

  it('reports a VirtualService whose hosts no server of its Gateway has (IST0132), as Istio also when the Gateway is missing', async () => {
    const lines = await analyzeWithDeploy(
      'hosts.yaml',
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: shop, namespace: music }
spec:
  selector: { istio: ingressgateway }
  servers:
    - { port: { number: 8081, name: http, protocol: HTTP }, hosts: [shop.example, "other/api.example"] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: api, namespace: music }
spec:
  hosts: [api.example, "*.api.example"]
  gateways: [shop, music-gateway, missing]
  http: [{ route: [{ destination: { host: front } }] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: shop, namespace: music }
spec:
  hosts: ["*.example"]
  gateways: [music/shop]
  http: [{ route: [{ destination: { host: front } }] }]
`,
    );
    expect(lines.filter((line) => /IST0132|IST0101/.test(line))).toEqual([
      'Warning [IST0132] (VirtualService music/api hosts.yaml:14) one or more host [api.example *.api.example] defined in VirtualService music/api not found in Gateway music/shop.',
      'Error [IST0101] (VirtualService music/api hosts.yaml:14) Referenced gateway not found: "missing"',
      'Warning [IST0132] (VirtualService music/api hosts.yaml:14) one or more host [api.example *.api.example] defined in VirtualService music/api not found in Gateway music/missing.',
    ]);
  });

  it('reports Gateways for the same workloads with a host in common on one port (IST0145), not on another port', async () => {
    const gateway = (name: string, port: number, hosts: string) => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: music }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: ${port}, name: http, protocol: HTTP }, hosts: [${hosts}] }]
`;
    const lines = await analyzeWithDeploy(
      'gateways.yaml',
      [
        gateway('second', 80, '"*"'),
        gateway('other-port', 8081, '"*"'),
        gateway('own-host', 80, 'own.example'),
      ].join('---'),
    );
    expect(lines.filter((line) => line.includes('IST0145'))).toEqual([
      'Error [IST0145] (Gateway music/music-gateway deploy/istio/gateway.yaml:3) Conflict with gateways music/second (workload selector istio=ingressgateway, port 80, hosts *).',
      'Error [IST0145] (Gateway music/second gateways.yaml:2) Conflict with gateways music/music-gateway (workload selector istio=ingressgateway, port 80, hosts *).',
    ]);
  });

  it('says which objects of a rendered cluster profile the runtime would refuse (MESH0001), as Warnings', async () => {
    const lines = await analyzeWithDeploy(
      'rendered.yaml',
      `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: music }
spec: { mtls: { mode: STRICT } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: database, namespace: music }
spec:
  hosts: [postgres]
  tcp: [{ route: [{ destination: { host: postgres } }] }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: front-local, namespace: music }
spec:
  host: front
  workloadSelector: { matchLabels: { app: back } }
`,
    );
    expect(lines).toEqual([
      expect.stringMatching(
        /^Warning \[MESH0001\] \(PeerAuthentication music\/default rendered.yaml:2\) The local runtime would refuse this resource at apply: kind: kind PeerAuthentication is not supported by the local runtime/,
      ),
      'Warning [MESH0001] (VirtualService music/database rendered.yaml:11) The local runtime would refuse this resource at apply: spec.tcp: is not supported by the local runtime yet',
      expect.stringMatching(
        /^Warning \[MESH0001\] \(DestinationRule music\/front-local rendered.yaml:\d+\) The local runtime would refuse this resource at apply: spec.workloadSelector: is not supported by the local runtime yet/,
      ),
    ]);
  });
});
