import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ManifestError, NotImplementedError } from '../errors.ts';
import { buildTopology, loadTopology, parseYaml } from './load.ts';

const deployDir = fileURLToPath(new URL('../../../deploy/', import.meta.url));

function load(yaml: string) {
  return buildTopology(parseYaml('deploy/kubernetes/test.yaml', yaml));
}

function errorOf(yaml: string): ManifestError {
  try {
    load(yaml);
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('expected a ManifestError');
}

const deployment = (spec: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: back-v1, namespace: music }
spec:
${spec}`;

describe('loadTopology', () => {
  it('reads the repository deploy/ folder: the tutorial names, workloads and routes', async () => {
    const topology = await loadTopology(deployDir);
    expect(topology.deployments.map((d) => [d.name, d.podLabels, d.containers[0]?.image])).toEqual([
      ['back-v1', { app: 'back', version: 'v1' }, 'music/back:0.1.0'],
      ['front', { app: 'front', version: 'v1' }, 'music/front:0.1.0'],
      ['postgres', { app: 'postgres', version: 'v1' }, 'postgres:18'],
    ]);
    expect(topology.services.map((s) => [s.name, s.ports[0]?.name, s.ports[0]?.port])).toEqual([
      ['back', 'http', 8080],
      ['front', 'http', 8080],
      ['postgres', 'tcp-postgres', 5432],
    ]);
    expect(topology.gateways.map((g) => `${g.namespace}/${g.name}`)).toEqual(['music/music-gateway']);
    const [vs] = topology.virtualServices;
    expect(vs?.name).toBe('back-gw-virtualservice');
    expect(vs?.gateways).toEqual(['music-gateway']);
    expect(vs?.http.map((route) => route.match[0]?.uri)).toEqual([{ prefix: '/back' }, { prefix: '/' }]);
    expect(topology.deployments.find((d) => d.name === 'postgres')?.kind).toBe('StatefulSet');
    expect(topology.others.map((o) => o.kind).sort()).toEqual([
      'Namespace',
      'ServiceAccount',
      'ServiceAccount',
      'ServiceAccount',
    ]);
  });

  it('reads the probes and the env of a container, secrets included', async () => {
    const topology = await loadTopology(deployDir);
    const back = topology.deployments.find((d) => d.name === 'back-v1')?.containers[0];
    expect(back?.readinessProbe).toMatchObject({ path: '/back/management/health/readiness', port: 'http' });
    expect(back?.env).toContainEqual({
      name: 'DATABASE_URL',
      secretKeyRef: { name: 'music-db', key: 'url', optional: false },
    });
    expect(back?.env).toContainEqual({ name: 'APP_VERSION', value: 'v1' });
  });

  it('keeps every document of a multi-document file and skips empty ones', () => {
    const topology = load(`
apiVersion: v1
kind: Service
metadata: { name: a }
spec: { selector: { app: a }, ports: [{ port: 80 }] }
---
---
apiVersion: v1
kind: Service
metadata: { name: b, namespace: music }
spec: { selector: { app: b }, ports: [{ port: 80, targetPort: http }] }
`);
    expect(topology.services.map((s) => `${s.namespace}/${s.name}:${s.ports[0]?.targetPort}`)).toEqual([
      'default/a:80',
      'music/b:http',
    ]);
  });
});

describe('manifest validation', () => {
  it('names the file and the field when a required field is missing', () => {
    const error = errorOf(
      deployment(
        '  template: { metadata: { labels: { app: back } }, spec: { containers: [{ name: back }] } }',
      ),
    );
    expect(error.message).toBe(
      'deploy/kubernetes/test.yaml: spec.template.spec.containers[0].image: must be a non-empty string',
    );
    expect(error.code).toBe('MANIFEST_INVALID');
  });

  it('names the field holding a value of the wrong type', () => {
    const error = errorOf(`
apiVersion: v1
kind: Service
metadata: { name: back }
spec: { ports: [{ port: "8080" }] }
`);
    expect(error.message).toBe('deploy/kubernetes/test.yaml: spec.ports[0].port: must be a port number');
  });

  it('rejects a selector that does not match the pod template', () => {
    const error = errorOf(
      deployment(`  selector: { matchLabels: { app: front } }
  template: { metadata: { labels: { app: back } }, spec: { containers: [{ name: back, image: music/back }] } }`),
    );
    expect(error.field).toBe('spec');
    expect(error.message).toMatch(/app=front does not match/);
  });

  it('reports broken YAML with the file name', () => {
    expect(() => parseYaml('deploy/istio/bad.yaml', 'kind: [unclosed')).toThrow(
      /^deploy\/istio\/bad.yaml: invalid YAML/,
    );
  });

  it('refuses VirtualService features the runtime does not implement yet instead of ignoring them', () => {
    const error = errorOf(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: vs }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - match: [{ statPrefix: back }]
      route: [{ destination: { host: back } }]
`);
    expect(error.field).toBe('spec.http[0].match[0].statPrefix');
  });

  it('refuses, when applied, a uri regex RE2 would refuse (backreference, lookahead)', () => {
    for (const regex of ['(a)\\\\1', '/back(?=/api)']) {
      const error = errorOf(`
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: vs }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
    - match: [{ uri: { regex: "${regex}" } }]
      route: [{ destination: { host: back } }]
`);
      expect(error.field).toBe('spec.http[0].match[0].uri.regex');
      expect(error.message).toMatch(/Istio uses RE2 style regex-based match/);
    }
  });

  it('accepts networking.istio.io v1alpha3, v1beta1 and v1, and refuses other versions', () => {
    const doc = (version: string) => `
apiVersion: networking.istio.io/${version}
kind: DestinationRule
metadata: { name: back, namespace: music }
spec: { host: back, subsets: [{ name: v1, labels: { version: v1 } }] }
`;
    for (const version of ['v1alpha3', 'v1beta1', 'v1']) {
      expect(load(doc(version)).destinationRules[0]?.subsets[0]?.labels).toEqual({ version: 'v1' });
    }
    expect(errorOf(doc('v2')).field).toBe('apiVersion');
  });

  it('refuses an object defined twice', () => {
    const service = 'apiVersion: v1\nkind: Service\nmetadata: { name: a }\nspec: { ports: [{ port: 80 }] }\n';
    expect(() => load(`${service}---\n${service}`)).toThrow(/defined twice/);
  });
});

const virtualService = (http: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: vs, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http:
${http}`;

const route = (destinations: string, extra = '') =>
  virtualService(`    - route: [${destinations}]\n${extra}`);

describe('the limits Istio and Kubernetes enforce', () => {
  it('refuses route weights that are not int32 integers >= 0, naming the destination', () => {
    for (const [weight, message] of [
      ['3e9', 'must be an integer <= 2147483647 (got 3000000000)'],
      ['1e30', 'must be an integer <= 2147483647 (got 1e+30)'],
      ['1.5', 'must be an integer >= 0'],
      ['-1', 'must be an integer >= 0'],
      ['"50"', 'must be an integer >= 0'],
    ]) {
      const error = errorOf(
        route(
          `{ destination: { host: back, subset: v1 }, weight: ${weight} }, { destination: { host: back, subset: v2 }, weight: 10 }`,
        ),
      );
      expect(error.field).toBe('spec.http[0].route[0].weight');
      expect(error.message).toContain(message);
    }
  });

  it('refuses weights whose sum Envoy would refuse (over 2^32 - 1)', () => {
    const big = '{ destination: { host: back }, weight: 2147483647 }';
    const error = errorOf(route([big, big, big].join(', ')));
    expect(error.field).toBe('spec.http[0].route');
    expect(error.message).toContain('the sum of the weights must be <= 4294967295 (got 6442450941)');
    expect(load(route([big, big].join(', '))).virtualServices[0]?.http[0]?.route).toHaveLength(2);
  });

  it('refuses port numbers outside 1..65535 wherever a port is given', () => {
    const cases: [string, string][] = [
      [
        route('{ destination: { host: back, port: { number: 99999 } } }'),
        'spec.http[0].route[0].destination.port.number',
      ],
      [
        virtualService('    - match: [{ port: 0 }]\n      route: [{ destination: { host: back } }]'),
        'spec.http[0].match[0].port',
      ],
      [virtualService('    - redirect: { uri: /x, port: 65536 }'), 'spec.http[0].redirect.port'],
      [
        route('{ destination: { host: back } }', '      mirror: { host: back, port: { number: 70000 } }'),
        'spec.http[0].mirror.port.number',
      ],
      [
        `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec: { servers: [{ port: { number: 99999, name: http, protocol: HTTP }, hosts: ["*"] }] }`,
        'spec.servers[0].port.number',
      ],
      [
        'apiVersion: v1\nkind: Service\nmetadata: { name: a }\nspec: { ports: [{ port: 99999 }] }',
        'spec.ports[0].port',
      ],
      [
        deployment(`  template:
    metadata: { labels: { app: back } }
    spec: { containers: [{ name: back, image: music/back, ports: [{ containerPort: 99999 }] }] }`),
        'spec.template.spec.containers[0].ports[0].containerPort',
      ],
    ];
    for (const [yaml, field] of cases) {
      const error = errorOf(yaml);
      expect(error.field).toBe(field);
      expect(error.message).toMatch(/port number \d+ must be in the range 1\.\.65535$/);
    }
    const target = errorOf(
      'apiVersion: v1\nkind: Service\nmetadata: { name: a }\nspec: { ports: [{ port: 80, targetPort: 99999 }] }',
    );
    expect(target.field).toBe('spec.ports[0].targetPort');
    const probe = errorOf(
      deployment(`  template:
    metadata: { labels: { app: back } }
    spec:
      containers:
        - { name: back, image: music/back, readinessProbe: { httpGet: { path: /, port: 0 } } }`),
    );
    expect(probe.field).toBe('spec.template.spec.containers[0].readinessProbe.httpGet.port');
  });

  it('refuses a DestinationRule portLevelSettings, which the runtime does not implement', () => {
    const error = errorOf(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: back }
spec: { host: back, trafficPolicy: { portLevelSettings: [{ port: { number: 99999 } }] } }
`);
    expect(error.field).toBe('spec.trafficPolicy.portLevelSettings');
  });

  it('refuses percentages outside 0..100, and fault percentages Istio refuses', () => {
    const destination = '{ destination: { host: back } }';
    const cases: [string, string][] = [
      [
        route(destination, '      mirror: { host: back }\n      mirrorPercentage: { value: 100.5 }'),
        'spec.http[0].mirrorPercentage.value',
      ],
      [
        route(destination, '      mirror: { host: back }\n      mirrorPercentage: { value: -1 }'),
        'spec.http[0].mirrorPercentage.value',
      ],
      [
        route(destination, '      mirror: { host: back }\n      mirrorPercent: 101'),
        'spec.http[0].mirrorPercent',
      ],
      [
        route(destination, '      mirrors: [{ destination: { host: back }, percentage: { value: 1e30 } }]'),
        'spec.http[0].mirrors[0].percentage.value',
      ],
      [
        route(destination, '      fault: { abort: { httpStatus: 503, percentage: { value: 250 } } }'),
        'spec.http[0].fault.abort.percentage.value',
      ],
      [
        route(destination, '      fault: { delay: { fixedDelay: 1s, percentage: { value: 0.00001 } } }'),
        'spec.http[0].fault.delay.percentage.value',
      ],
    ];
    for (const [yaml, field] of cases) expect(errorOf(yaml).field).toBe(field);
    expect(errorOf(virtualService('    - directResponse: { status: 700 }')).field).toBe(
      'spec.http[0].directResponse.status',
    );
  });

  it('refuses replicas beyond int32', () => {
    const error = errorOf(
      deployment(`  replicas: 3e9
  template: { metadata: { labels: { app: back } }, spec: { containers: [{ name: back, image: music/back }] } }`),
    );
    expect(error.field).toBe('spec.replicas');
  });

  it('refuses a YAML alias bomb with a clear error instead of expanding it', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
      const previous = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    expect(() => parseYaml('bomb.yaml', levels.join('\n'))).toThrow(
      'bomb.yaml: invalid YAML: too many aliases (at most 100 expansions per document)',
    );
    expect(() => parseYaml('ok.yaml', 'a: &x { b: 1 }\nc: *x\n')).not.toThrow();
  });
});

describe('strict decoding, as kubectl and the API server answer', () => {
  const virtualService = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back, namespace: music }
spec:
  hosts: [back]
  http:
    - routee: [{ destination: { host: back } }]
      timout: 5s
    - route: [{ destination: { host: back }, weight: -1 }]
      retries: { attempts: 3, perTryTimout: 1s }
`;

  it('names every problem of a refused document, each by its path, not only the first', () => {
    const error = errorOf(virtualService);
    expect(error.problems.map((problem) => problem.detail)).toEqual([
      'unknown field "spec.http[0].routee"; did you mean "route"?',
      'unknown field "spec.http[0].timout"; did you mean "timeout"?',
      'spec.http[0]: HTTP route, redirect or direct_response is required',
      'spec.http[1].route[0].weight: must be an integer >= 0',
      'unknown field "spec.http[1].retries.perTryTimout"; did you mean "perTryTimeout"?',
    ]);
    expect(error.message).toBe(
      `deploy/kubernetes/test.yaml: 5 problems: ${error.problems.map((problem) => problem.detail).join('; ')}`,
    );
  });

  it('names a misspelt Kubernetes field by its whole path, as kubectl does', () => {
    const error = errorOf(
      deployment(`  selector: { matchLabels: { app: back } }
  template:
    metadata: { labels: { app: back } }
    spec:
      containers:
        - name: back
          imagee: music/back:0.1.0
          resources: { limits: { memory: 256Mi } }
      restartPolicyy: Always`),
    );
    expect(error.problems.map((problem) => problem.detail)).toEqual([
      'unknown field "spec.template.spec.restartPolicyy"; did you mean "restartPolicy"?',
      'unknown field "spec.template.spec.containers[0].imagee"; did you mean "image"?',
      'spec.template.spec.containers[0].image: must be a non-empty string',
    ]);
  });

  it('tells a field Istio has but the runtime lacks (refused by name) from one Istio does not have', () => {
    const yaml = (key: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: back, namespace: music }
spec:
  hosts: [back]
  http:
    - route: [{ destination: { host: back } }]
      ${key}: { allowOrigins: [{ exact: "https://example.com" }] }
`;
    const refused = errorOf(yaml('corsPolicy'));
    expect(refused).toBeInstanceOf(NotImplementedError);
    expect(refused.message).toBe(
      'deploy/kubernetes/test.yaml: spec.http[0].corsPolicy: is not supported by the local runtime yet',
    );
    const unknown = errorOf(yaml('corsPolicyy'));
    expect(unknown).not.toBeInstanceOf(NotImplementedError);
    expect(unknown.message).toBe(
      'deploy/kubernetes/test.yaml: unknown field "spec.http[0].corsPolicyy"; did you mean "corsPolicy"?',
    );
  });

  it('reports the problems of every refused document of a batch at once', () => {
    const error = errorOf(`${virtualService}---
apiVersion: v1
kind: Service
metadata: { name: back, namespace: music }
spec:
  selectr: { app: back }
  ports: [{ port: 8080, name: http }]
`);
    expect(error.problems.at(-1)?.message).toBe(
      'deploy/kubernetes/test.yaml (document 2): unknown field "spec.selectr"; did you mean "selector"?',
    );
    expect(error.problems).toHaveLength(6);
  });
});
