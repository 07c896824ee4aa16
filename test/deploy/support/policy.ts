import { type Manifest, objectName } from './render.ts';

/** What every rendered profile must satisfy beyond its schema; each finding names the object. */
export function policyFindings(manifests: readonly Manifest[]): string[] {
  return [
    ...manifests.flatMap(workloadFindings),
    ...manifests.flatMap(serviceFindings),
    ...referenceFindings(manifests),
    ...namespaceFindings(manifests),
  ];
}

type Json = Record<string, unknown>;
const record = (value: unknown): Json =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
const list = (value: unknown): Json[] => (Array.isArray(value) ? value.map(record) : []);

export const workloadKinds = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

export function podSpecOf(manifest: Manifest): Json | undefined {
  if (!workloadKinds.has(manifest.kind)) return undefined;
  return record(record(record(manifest.spec).template).spec);
}

/** Istio reads the protocol from the port name (`http`, `http-web`, `tcp-postgres`…). */
const protocolPortName = /^(http|http2|https|grpc|grpc-web|tcp|tls|udp|mongo|mysql|redis)(-[a-z0-9-]+)?$/;

function workloadFindings(manifest: Manifest): string[] {
  const pod = podSpecOf(manifest);
  if (!pod) return [];
  const name = objectName(manifest);
  const findings: string[] = [];
  const templateLabels = record(record(record(record(manifest.spec).template).metadata).labels);
  for (const label of ['app', 'version']) {
    if (!manifest.metadata.labels?.[label]) findings.push(`${name}: no label ${label}`);
    if (!templateLabels[label]) findings.push(`${name}: pod template without label ${label}`);
  }
  if (!pod.serviceAccountName)
    findings.push(`${name}: no serviceAccountName (one ServiceAccount per workload)`);
  const podSecurity = record(pod.securityContext);
  const emptyDirs = new Set(
    list(pod.volumes)
      .filter((v) => v.emptyDir)
      .map((v) => v.name),
  );
  for (const container of [...list(pod.initContainers), ...list(pod.containers)]) {
    const where = `${name} container ${String(container.name)}`;
    const security = record(container.securityContext);
    const runAsNonRoot = security.runAsNonRoot ?? podSecurity.runAsNonRoot;
    if (runAsNonRoot !== true) findings.push(`${where}: runAsNonRoot is not true`);
    const seccomp = record(security.seccompProfile ?? podSecurity.seccompProfile).type;
    if (seccomp !== 'RuntimeDefault') findings.push(`${where}: seccompProfile is not RuntimeDefault`);
    if (security.allowPrivilegeEscalation !== false)
      findings.push(`${where}: allowPrivilegeEscalation is not false`);
    if (security.readOnlyRootFilesystem !== true)
      findings.push(`${where}: readOnlyRootFilesystem is not true`);
    const drop = record(security.capabilities).drop;
    if (!Array.isArray(drop) || !drop.includes('ALL'))
      findings.push(`${where}: capabilities do not drop ALL`);
    const tmp = list(container.volumeMounts).find((mount) => mount.mountPath === '/tmp');
    if (!tmp || !emptyDirs.has(tmp.name)) findings.push(`${where}: no emptyDir mounted on /tmp`);
    const resources = record(container.resources);
    for (const [kind, values] of [
      ['requests', record(resources.requests)],
      ['limits', record(resources.limits)],
    ] as const) {
      if (!values.memory) findings.push(`${where}: no memory ${kind}`);
    }
    if (!record(resources.requests).cpu) findings.push(`${where}: no cpu requests`);
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      if (!container[probe]) findings.push(`${where}: no ${probe}`);
    }
    const image = String(container.image ?? '');
    const tag = /^(?:[^/]+\/)*[^/:@]+(?::([^@/]+))?(?:@sha256:[0-9a-f]{64})?$/.exec(image);
    if (!tag) findings.push(`${where}: image ${image} is not a valid reference`);
    else if (!tag[1] && !image.includes('@')) findings.push(`${where}: image ${image} has no tag`);
    else if (tag[1] === 'latest') findings.push(`${where}: image ${image} uses the latest tag`);
    for (const port of list(container.ports)) {
      if (typeof port.name !== 'string' || !protocolPortName.test(port.name)) {
        findings.push(`${where}: container port ${String(port.containerPort)} is not named by its protocol`);
      }
    }
  }
  return findings;
}

function serviceFindings(manifest: Manifest): string[] {
  if (manifest.kind !== 'Service') return [];
  return list(record(manifest.spec).ports).flatMap((port) =>
    typeof port.name === 'string' && protocolPortName.test(port.name)
      ? []
      : [
          `${objectName(manifest)}: port ${String(port.port)} is not named by its protocol (${String(port.name)})`,
        ],
  );
}

/** ServiceAccounts and Secret keys the workloads name exist in the same render. */
function referenceFindings(manifests: readonly Manifest[]): string[] {
  const findings: string[] = [];
  const key = (namespace: string | undefined, name: string) => `${namespace ?? 'default'}/${name}`;
  const accounts = new Set(
    manifests
      .filter((m) => m.kind === 'ServiceAccount')
      .map((m) => key(m.metadata.namespace, m.metadata.name)),
  );
  const secrets = new Map(
    manifests
      .filter((m) => m.kind === 'Secret')
      .map((m) => [
        key(m.metadata.namespace, m.metadata.name),
        new Set([...Object.keys(record(m.data)), ...Object.keys(record(m.stringData))]),
      ]),
  );
  for (const manifest of manifests) {
    const pod = podSpecOf(manifest);
    if (!pod) continue;
    const namespace = manifest.metadata.namespace;
    if (typeof pod.serviceAccountName === 'string' && !accounts.has(key(namespace, pod.serviceAccountName))) {
      findings.push(`${objectName(manifest)}: ServiceAccount ${pod.serviceAccountName} is not deployed`);
    }
    for (const container of list(pod.containers)) {
      for (const env of list(container.env)) {
        const ref = record(record(env.valueFrom).secretKeyRef);
        if (typeof ref.name !== 'string') continue;
        const keys = secrets.get(key(namespace, ref.name));
        if (!keys)
          findings.push(
            `${objectName(manifest)}: env ${String(env.name)} reads Secret ${ref.name}, not deployed`,
          );
        else if (!keys.has(String(ref.key)))
          findings.push(
            `${objectName(manifest)}: env ${String(env.name)} reads key ${String(ref.key)} Secret ${ref.name} lacks`,
          );
      }
    }
  }
  return findings;
}

function namespaceFindings(manifests: readonly Manifest[]): string[] {
  const music = manifests.find((m) => m.kind === 'Namespace' && m.metadata.name === 'music');
  if (!music) return ['Namespace music is not deployed'];
  return music.metadata.labels?.['istio-injection'] === 'enabled'
    ? []
    : ['Namespace music: not labelled istio-injection: enabled'];
}
