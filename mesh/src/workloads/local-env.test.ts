import { describe, expect, it } from 'vitest';
import { buildTopology, parseYaml } from '../manifests/load.ts';
import type { Container, Deployment } from '../manifests/model.ts';
import { checkEnv, commandLine, type EnvSources, needsDatabase, replicaEnv } from './local-env.ts';
import { parseProfile } from './profile.ts';

const profile = parseProfile(
  '/app/local/profile.yaml',
  `
kind: LocalProfile
name: App
manifests: [../deploy]
namespace: shop
database: { name: shop, images: [postgres] }
programs:
  shop/api:
    command: [python3, -m, http.server, $(PORT)]
    env: { GREETING: "hello from $(POD_NAME)" }
  shop/web:
    command: [node, web.ts]
    args: [--quiet]
secrets:
  shop-db: { url: $(mesh.databaseUrl) }
  api-keys: { public: pk-local, private: sk-local, unset: null }
  signing: { key.pem: { generate: ec-p256-private-key, file: signing.pem } }
replace:
  METRICS_URL: $(mesh.statsUrl)
replaceWithoutOutbound:
  WEB_URL: $(mesh.ingressUrl)
env:
  LOG_LEVEL: $(mesh.logLevel)
`,
);

const sources = (overrides: Partial<EnvSources> = {}): EnvSources => ({
  profile,
  program: profile.programs['shop/api'] as NonNullable<(typeof profile.programs)[string]>,
  values: {
    ingressUrl: 'http://127.0.0.1:8080',
    statsUrl: 'http://127.0.0.1:15090/stats/prometheus',
    logLevel: 'warn',
    generated: new Map([['signing.pem', 'PEM']]),
  },
  databaseUrl: 'postgres://local/shop',
  configMaps: buildTopology(
    parseYaml(
      'settings.yaml',
      `
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: shop }
data: { color: blue, size: "3" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: numbers, namespace: shop }
data: { 1st: one, second: two }
`,
    ),
  ).configMaps,
  secrets: [],
  inherited: { PATH: '/bin' },
  ...overrides,
});

/** Secrets as `mesh apply` gives them to the runtime. */
const applied = (yaml: string) => buildTopology(parseYaml('secrets.yaml', yaml)).secrets;

const appliedKeys = applied(`
apiVersion: v1
kind: Secret
metadata: { name: api-keys, namespace: shop }
data: { public: ${Buffer.from('pk-applied').toString('base64')} }
stringData: { extra: from-string-data }
---
apiVersion: v1
kind: Secret
metadata: { name: tokens, namespace: other }
stringData: { api: elsewhere }
`);

const pod = { name: 'api-v1-0', namespace: 'shop', labels: { app: 'api', version: 'v1' } };

function container(yaml: string): Container {
  const doc = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: api-v1, namespace: shop }
spec:
  template:
    metadata: { labels: { app: api, version: v1 } }
    spec:
      containers:
        - name: api
          image: shop/api:1.0
${yaml.replace(/^/gm, '          ')}
`;
  return (buildTopology(parseYaml('api.yaml', doc)).deployments[0] as Deployment).containers[0] as Container;
}

describe('replicaEnv', () => {
  it('keeps literals, gives Secret keys their local values, and sets where to listen', () => {
    const env = replicaEnv(
      container(`
env:
  - { name: APP_NAME, value: api }
  - { name: PORT, value: "8080" }
  - { name: DATABASE_URL, valueFrom: { secretKeyRef: { name: shop-db, key: url } } }
  - { name: PUBLIC_KEY, valueFrom: { secretKeyRef: { name: api-keys, key: public } } }
  - { name: SIGNING_KEY, valueFrom: { secretKeyRef: { name: signing, key: key.pem } } }
  - { name: LEFT_UNSET, valueFrom: { secretKeyRef: { name: api-keys, key: unset } } }`),
      pod,
      sources(),
      41234,
    );
    expect(env).toEqual({
      PATH: '/bin',
      APP_NAME: 'api',
      DATABASE_URL: 'postgres://local/shop',
      PUBLIC_KEY: 'pk-local',
      SIGNING_KEY: 'PEM',
      LOG_LEVEL: 'warn',
      GREETING: 'hello from $(POD_NAME)',
      PORT: '41234',
      HOST: '127.0.0.1',
    });
  });

  it("reads the Secret applied in the pod's namespace, whole, over the profile's local value", () => {
    const spec = container(`
envFrom:
  - secretRef: { name: api-keys }
    prefix: KEY_
env:
  - { name: PUBLIC_KEY, valueFrom: { secretKeyRef: { name: api-keys, key: public } } }
  - { name: PRIVATE_KEY, valueFrom: { secretKeyRef: { name: api-keys, key: private, optional: true } } }
  - { name: DATABASE_URL, valueFrom: { secretKeyRef: { name: shop-db, key: url } } }
  - { name: TOKEN, valueFrom: { secretKeyRef: { name: tokens, key: api, optional: true } } }`);
    const env = replicaEnv(spec, pod, sources({ secrets: appliedKeys }), 1);
    expect(env).toMatchObject({
      KEY_public: 'pk-applied',
      KEY_extra: 'from-string-data',
      PUBLIC_KEY: 'pk-applied',
      // shop-db is not applied: the profile's value stands in for it.
      DATABASE_URL: 'postgres://local/shop',
    });
    // The applied Secret has no such key, and the profile's does not fill it in.
    expect(env).not.toHaveProperty('PRIVATE_KEY');
    expect(env).not.toHaveProperty('KEY_private');
    // A Secret of another namespace is not the pod's.
    expect(env).not.toHaveProperty('TOKEN');
    // Without the applied Secret, the local values again.
    expect(replicaEnv(spec, pod, sources(), 1)).toMatchObject({
      PUBLIC_KEY: 'pk-local',
      KEY_private: 'sk-local',
    });
  });

  it('tells a replica who it is through fieldRef, as the downward API does', () => {
    const env = replicaEnv(
      container(`
env:
  - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
  - { name: POD_NAMESPACE, valueFrom: { fieldRef: { fieldPath: metadata.namespace } } }
  - { name: VERSION, valueFrom: { fieldRef: { fieldPath: "metadata.labels['version']" } } }
  - { name: MISSING_LABEL, valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } }
  - { name: POD_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }`),
      pod,
      sources(),
      1,
    );
    expect(env).toMatchObject({
      POD_NAME: 'api-v1-0',
      POD_NAMESPACE: 'shop',
      VERSION: 'v1',
      MISSING_LABEL: '',
      POD_IP: '127.0.0.1',
      // The program's env sees the replica's variables.
      GREETING: 'hello from api-v1-0',
    });
  });

  it('reads ConfigMaps as the kubelet does: envFrom first with its prefix, env over it', () => {
    const env = replicaEnv(
      container(`
envFrom:
  - configMapRef: { name: settings }
    prefix: CFG_
  - configMapRef: { name: absent, optional: true }
  - configMapRef: { name: numbers }
env:
  - { name: CFG_size, value: "4" }
  - { name: COLOR, valueFrom: { configMapKeyRef: { name: settings, key: color } } }
  - { name: SHADE, valueFrom: { configMapKeyRef: { name: settings, key: shade, optional: true } } }`),
      pod,
      sources(),
      1,
    );
    expect(env).toMatchObject({ CFG_color: 'blue', CFG_size: '4', COLOR: 'blue', second: 'two' });
    expect(env).not.toHaveProperty('SHADE');
    // A key that makes no variable name is skipped, as the kubelet skips it.
    expect(env).not.toHaveProperty('1st');
  });

  it('expands $(VAR) in values against the variables declared before, leaving unknown ones as written', () => {
    const env = replicaEnv(
      container(`
env:
  - { name: HOST_PART, value: api.shop }
  - { name: URL, value: "http://$(HOST_PART):$(LATER)/$$(HOST_PART)" }
  - { name: LATER, value: "9" }`),
      pod,
      sources(),
      1,
    );
    expect(env.URL).toBe('http://api.shop:$(LATER)/$(HOST_PART)');
  });

  it('replaces what the runtime plays, and cluster hosts only when there is no outbound listener', () => {
    const spec = container(`
env:
  - { name: METRICS_URL, value: "http://prometheus.istio-system:9090" }
  - { name: WEB_URL, value: "http://web:8080" }`);
    expect(replicaEnv(spec, pod, sources(), 1)).toMatchObject({
      METRICS_URL: 'http://127.0.0.1:15090/stats/prometheus',
      WEB_URL: 'http://127.0.0.1:8080',
    });
    const meshed = replicaEnv(spec, pod, sources(), 1, 'http://127.0.0.1:15001');
    expect(meshed).toMatchObject({
      METRICS_URL: 'http://127.0.0.1:15090/stats/prometheus',
      WEB_URL: 'http://web:8080',
      HTTP_PROXY: 'http://127.0.0.1:15001',
      NODE_USE_ENV_PROXY: '1',
    });
  });
});

describe('commandLine', () => {
  const env = { PORT: '41234', MODE: 'fast' };

  it("runs the profile's command with $(VAR) expanded against the replica's environment", () => {
    expect(commandLine(container(''), sources(), env)).toEqual(['python3', '-m', 'http.server', '41234']);
  });

  it("lets a container's args replace the program's, and its command replace both", () => {
    const web = sources({ program: profile.programs['shop/web'] as EnvSources['program'] });
    expect(commandLine(container(''), web, env)).toEqual(['node', 'web.ts', '--quiet']);
    expect(commandLine(container('args: ["--mode=$(MODE)"]'), web, env)).toEqual([
      'node',
      'web.ts',
      '--mode=fast',
    ]);
    expect(commandLine(container('command: [./serve, $(PORT)]'), web, env)).toEqual(['./serve', '41234']);
  });
});

describe('checkEnv', () => {
  const deployment = { name: 'api-v1', namespace: 'shop' } as Deployment;
  const check = (yaml: string) => () =>
    checkEnv(deployment, container(yaml), sources({ secrets: appliedKeys }));

  it('refuses a Secret neither applied in its namespace nor given a local value, naming both places', () => {
    expect(check('env: [{ name: TOKEN, valueFrom: { secretKeyRef: { name: tokens, key: api } } }]')).toThrow(
      "Deployment api-v1: env TOKEN comes from Secret tokens (key api), which is not applied in namespace shop (only in other: a pod reads its own namespace's Secrets) and has no local value (apply it, or add it to secrets in /app/local/profile.yaml)",
    );
    expect(check('envFrom: [{ secretRef: { name: payments } }]')).toThrow(
      'Deployment api-v1: envFrom Secret payments is not applied in namespace shop and has no local value (apply it, or add it to secrets in /app/local/profile.yaml)',
    );
    expect(
      check(
        'env: [{ name: TOKEN, valueFrom: { secretKeyRef: { name: tokens, key: api, optional: true } } }]',
      ),
    ).not.toThrow();
    expect(check('envFrom: [{ secretRef: { name: payments, optional: true } }]')).not.toThrow();
  });

  it('refuses a key missing from the Secret that is read: the applied one when applied, else the local one', () => {
    expect(
      check('env: [{ name: K, valueFrom: { secretKeyRef: { name: api-keys, key: private } } }]'),
    ).toThrow(
      'Deployment api-v1: env K comes from Secret api-keys (key private): the Secret applied in namespace shop has no key private (secrets in /app/local/profile.yaml stand in only for a Secret that is not applied)',
    );
    expect(
      check('env: [{ name: K, valueFrom: { secretKeyRef: { name: api-keys, key: extra } } }]'),
    ).not.toThrow();
    expect(check('env: [{ name: U, valueFrom: { secretKeyRef: { name: shop-db, key: user } } }]')).toThrow(
      'Deployment api-v1: env U comes from Secret shop-db (key user), which is not applied in namespace shop, and secrets.shop-db in /app/local/profile.yaml has no key user',
    );
  });

  it('names Secrets and keys in its refusals, never a value', () => {
    let refusal = '';
    try {
      check('env: [{ name: K, valueFrom: { secretKeyRef: { name: api-keys, key: private } } }]')();
    } catch (error) {
      refusal = (error as Error).message;
    }
    expect(refusal).toContain('api-keys');
    expect(refusal).not.toMatch(/pk-applied|from-string-data|sk-local|pk-local/);
  });

  it('refuses a ConfigMap or key that is not applied, unless optional', () => {
    expect(check('env: [{ name: X, valueFrom: { configMapKeyRef: { name: other, key: a } } }]')).toThrow(
      'Deployment api-v1: env X comes from ConfigMap other, which is not applied',
    );
    expect(check('env: [{ name: X, valueFrom: { configMapKeyRef: { name: settings, key: a } } }]')).toThrow(
      'Deployment api-v1: env X comes from ConfigMap settings, which has no key a',
    );
    expect(check('envFrom: [{ configMapRef: { name: other } }]')).toThrow(
      'Deployment api-v1: envFrom ConfigMap other is not applied',
    );
    expect(check('envFrom: [{ configMapRef: { name: other, optional: true } }]')).not.toThrow();
  });
});

describe('needsDatabase', () => {
  const api = profile.programs['shop/api'] as EnvSources['program'];

  const deployment = { name: 'api-v1', namespace: 'shop' } as Deployment;
  const needs = (yaml: string, secrets = sources().secrets) =>
    needsDatabase(deployment, container(yaml), api, { profile, secrets });

  it('holds only when a Secret value, replacement or program string names $(mesh.databaseUrl)', () => {
    expect(needs('env: [{ name: A, value: b }]')).toBe(false);
    expect(needs('env: [{ name: DB, valueFrom: { secretKeyRef: { name: shop-db, key: url } } }]')).toBe(true);
    expect(needs('envFrom: [{ secretRef: { name: shop-db } }]')).toBe(true);
  });

  it('does not hold when the Secret is applied: its value replaces the local $(mesh.databaseUrl)', () => {
    const outside = applied(
      'apiVersion: v1\nkind: Secret\nmetadata: { name: shop-db, namespace: shop }\nstringData: { url: "postgres://db.example/shop" }\n',
    );
    expect(needs('envFrom: [{ secretRef: { name: shop-db } }]', outside)).toBe(false);
  });
});
