import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMessage } from '../../mesh/src/analyze/messages.ts';
import { analyzeSources } from '../../mesh/src/analyze/sources.ts';
import { policyFindings } from './support/policy.ts';
import {
  deployCopy,
  findKubectl,
  kustomize,
  type Manifest,
  objectName,
  parseManifests,
  repo,
} from './support/render.ts';
import { FieldChecker, validateModel } from './support/schema.ts';
import { kustomizePaths, readSkaffold, rolloutProfiles } from './support/skaffold.ts';

// Offline checks of what a cluster gets: every Skaffold profile's kustomize paths rendered with
// `kubectl kustomize`, each object checked against its Kubernetes / Istio schema and for unknown
// fields (as kubectl's strict field validation would), analyzed like `mesh analyze`, and held
// to the deployment policies. Without kubectl the suite is skipped, except in CI.
const kubectl = findKubectl();
const skip = !kubectl.found && !process.env.CI;
if (!kubectl.found && skip) {
  process.stderr.write(`test/deploy/manifests.test.ts skipped: ${kubectl.reason}\n`);
}

interface Rendered {
  readonly profile: string;
  readonly path: string;
  readonly text: string;
  readonly manifests: Manifest[];
}

describe.skipIf(skip)('deploy/ rendered as Skaffold renders each profile', () => {
  let copy: Awaited<ReturnType<typeof deployCopy>>;
  const rendered: Rendered[] = [];
  let fields: FieldChecker;

  const render = (path: string) => {
    const text = kustomize(join(copy.root, path));
    return { text, manifests: parseManifests(text) };
  };
  const profile = (name: string) => {
    const found = rendered.find((r) => r.profile === name);
    if (!found) throw new Error(`profile ${name} was not rendered`);
    return found.manifests;
  };
  const find = (manifests: Manifest[], kind: string, name: string) =>
    manifests.find((m) => m.kind === kind && m.metadata.name === name);

  beforeAll(async () => {
    if (!kubectl.found) throw new Error(`kubectl is required in CI: ${kubectl.reason}`);
    copy = await deployCopy();
    for (const { profile, paths } of kustomizePaths(await readSkaffold())) {
      for (const path of paths) rendered.push({ profile, path, ...render(path) });
    }
    const operator = parseManifests(
      await readFile(join(repo, 'deploy/istio-install/istio-operator.yaml'), 'utf8'),
    );
    const fixture = parseManifests(kustomize(join(repo, 'test/deploy/fixtures/misspelt-field')));
    fields = new FieldChecker([...rendered.flatMap((r) => r.manifests), ...operator, ...fixture]);
  });

  afterAll(async () => {
    await copy?.close();
  });

  it('renders every profile, each with its kustomize path', () => {
    expect(rendered.map((r) => `${r.profile}: ${r.path}`)).toEqual([
      '(default): deploy/overlays/v1',
      ...rolloutProfiles.map((p) => `${p}: deploy/overlays/${p}`),
    ]);
    for (const r of rendered) expect(r.manifests.length, r.profile).toBeGreaterThan(20);
  });

  it.each(rolloutProfiles)('%s: every object passes its Kubernetes or Istio schema', async (name) => {
    const errors = (await Promise.all(profile(name).map(validateModel))).flat();
    expect(errors).toEqual([]);
  });

  it.each(rolloutProfiles)('%s: no object has an unknown or misspelt field', (name) => {
    const unknown = profile(name).flatMap((m) =>
      fields.unknownFields(m).map((f) => `${objectName(m)}: ${f}`),
    );
    expect(unknown).toEqual([]);
  });

  it.each(rolloutProfiles)('%s: mesh analyze finds no Error', (name) => {
    const r = rendered.find((x) => x.profile === name) as Rendered;
    const messages = analyzeSources([{ file: r.path, text: r.text }]);
    expect(messages.filter((m) => m.level === 'Error').map(formatMessage)).toEqual([]);
  });

  it.each(rolloutProfiles)(
    '%s: workloads run non-root and read-only with limits and probes, labelled app and version; ports are named by protocol; Secrets and ServiceAccounts exist',
    (name) => {
      expect(policyFindings(profile(name))).toEqual([]);
    },
  );

  it("routes back through the gateway as the tutorial's steps do, in both VirtualServices", () => {
    const split = (manifests: Manifest[], name: string) => {
      const vs = find(manifests, 'VirtualService', name) as unknown as {
        spec: {
          http: {
            name: string;
            route: { destination: { subset?: string }; weight?: number }[];
            mirror?: { subset?: string };
          }[];
        };
      };
      const rule = vs.spec.http.find((r) => r.name === 'back');
      if (!rule) return 'none';
      return [
        ...rule.route.map((r) => `${r.destination.subset ?? '*'}:${r.weight ?? 100}`),
        ...(rule.mirror ? [`mirror:${rule.mirror.subset}`] : []),
      ].join(' ');
    };
    const routes = Object.fromEntries(
      rolloutProfiles.map((p) => [
        p,
        [split(profile(p), 'back-gw-virtualservice'), split(profile(p), 'back-virtualservice')],
      ]),
    );
    expect(routes).toEqual({
      v1: ['v1:100', 'v1:100'],
      v2: ['v1:90 v2:10', 'v1:90 v2:10'],
      'v3-mirror': ['v2:100 mirror:v3', 'v2:100 mirror:v3'],
      v3: ['v2:30 v3:70', 'v2:30 v3:70'],
      promote: ['v3:100', 'v3:100'],
    });
  });

  it('deploys each version of back from the step that starts it, and the database as a StatefulSet', () => {
    const workloads = (p: string) =>
      profile(p)
        .filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet')
        .map((m) => m.metadata.name)
        .sort();
    expect(workloads('v1')).toEqual(['back-v1', 'front', 'postgres']);
    expect(workloads('v2')).toEqual(['back-v1', 'back-v2', 'front', 'postgres']);
    expect(workloads('v3-mirror')).toEqual([
      'back-v1',
      'back-v2',
      'back-v3',
      'client',
      'front',
      'postgres',
      'spotify-sandbox',
    ]);
    expect(find(profile('v1'), 'StatefulSet', 'postgres')).toMatchObject({
      spec: { serviceName: 'postgres', volumeClaimTemplates: [{ metadata: { name: 'data' } }] },
    });
  });

  it('secures namespace music: STRICT mTLS, front tokens checked with the inline public key, APIs behind a principal', async () => {
    const manifests = profile('promote');
    expect(find(manifests, 'PeerAuthentication', 'default')).toMatchObject({
      spec: { mtls: { mode: 'STRICT' } },
    });
    const jwks = JSON.parse(await readFile(join(copy.root, 'deploy/secrets/jwks.json'), 'utf8')) as unknown;
    const authentications = manifests.filter((m) => m.kind === 'RequestAuthentication');
    expect(authentications.map((m) => m.metadata.name).sort()).toEqual(['back', 'client', 'front']);
    for (const m of authentications) {
      const [rule, ...more] = (m.spec as { jwtRules: Record<string, unknown>[] }).jwtRules;
      expect(more).toEqual([]);
      expect(rule).toMatchObject({ issuer: 'music-front', forwardOriginalToken: true });
      expect(rule?.jwksUri).toBeUndefined();
      expect(JSON.parse(String(rule?.jwks))).toEqual(jwks);
    }
    const rules = (name: string) =>
      (find(manifests, 'AuthorizationPolicy', name)?.spec as { rules?: unknown[] } | undefined)?.rules;
    const principal = { from: [{ source: { requestPrincipals: ['music-front/*'] } }] };
    expect(rules('back')).toContainEqual({ ...principal, to: [{ operation: { paths: ['/back/api/*'] } }] });
    expect(rules('front')).toContainEqual({ ...principal, to: [{ operation: { paths: ['/api/*'] } }] });
    expect(rules('front')).toContainEqual({
      to: [{ operation: { methods: ['POST'], paths: ['/api/authenticate'] } }],
    });
    expect(rules('client')).toContainEqual({
      from: [
        { source: { principals: ['cluster.local/ns/music/sa/back'], requestPrincipals: ['music-front/*'] } },
      ],
      to: [{ operation: { paths: ['/client/api/*'] } }],
    });
    // The ConfigMap the JWKS comes from stays out of the output (local-config).
    expect(manifests.filter((m) => m.kind === 'ConfigMap')).toEqual([]);
  });

  it('offers a managed database and the real Spotify as components', async () => {
    const overlay = join(copy.root, 'deploy/overlays/test-options');
    await mkdir(overlay, { recursive: true });
    await writeFile(
      join(overlay, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources: [../promote]',
        'components: [../../components/managed-database, ../../components/real-spotify]',
        '',
      ].join('\n'),
    );
    const manifests = render('deploy/overlays/test-options').manifests;
    expect(manifests.filter((m) => m.metadata.name === 'postgres')).toEqual([]);
    expect(manifests.some((m) => m.kind === 'Secret' && m.metadata.name.startsWith('music-db'))).toBe(true);
    expect(find(manifests, 'ServiceEntry', 'spotify')).toMatchObject({
      spec: {
        hosts: ['api.spotify.com', 'accounts.spotify.com'],
        location: 'MESH_EXTERNAL',
        ports: [{ number: 443, protocol: 'TLS' }],
      },
    });
    const client = JSON.stringify(find(manifests, 'Deployment', 'client'));
    expect(client).toContain('https://api.spotify.com/v1');
    expect(client).toContain('https://accounts.spotify.com/api/token');
    expect(client).not.toContain('spotify-sandbox:8080');
    const checks = new FieldChecker(manifests);
    expect(manifests.flatMap((m) => checks.unknownFields(m))).toEqual([]);
    expect((await Promise.all(manifests.map(validateModel))).flat()).toEqual([]);
    expect(policyFindings(manifests)).toEqual([]);
  });

  it('reports a misspelt field that the schema validation lets pass', async () => {
    const [deployment, virtualService] = parseManifests(
      kustomize(join(repo, 'test/deploy/fixtures/misspelt-field')),
    );
    if (!deployment) throw new Error('the fixture rendered nothing');
    expect(await validateModel(deployment)).toEqual([]);
    expect(fields.unknownFields(deployment)).toEqual([
      'spec.replicsa',
      'spec.template.spec.containers[0].ports[0].protocl',
    ]);
    expect(virtualService && (await validateModel(virtualService))).toEqual([]);
    expect(virtualService && fields.unknownFields(virtualService)).toEqual(['spec.http[0].route[0].wieght']);
  });

  it('installs Istio 1.30 with the shadow host suffix on (IstioOperator for istioctl)', async () => {
    const [operator, ...rest] = parseManifests(
      await readFile(join(repo, 'deploy/istio-install/istio-operator.yaml'), 'utf8'),
    );
    if (!operator) throw new Error('deploy/istio-install/istio-operator.yaml is empty');
    expect(rest).toEqual([]);
    expect(await validateModel(operator)).toEqual([]);
    expect(fields.unknownFields(operator)).toEqual([]);
    expect(operator).toMatchObject({
      spec: { profile: 'default', values: { pilot: { env: { DISABLE_SHADOW_HOST_SUFFIX: 'false' } } } },
    });
    expect(String((operator.spec as { tag: unknown }).tag)).toMatch(/^1\.30\.\d+$/);
  });
});
