/** The kinds `mesh apply` accepts and `mesh get` lists, with kubectl's names for them. */

export interface KindInfo {
  readonly kind: string;
  /** API group; '' is the core group. */
  readonly group: string;
  readonly versions: readonly string[];
  /** Lower-case plural, as `kubectl get` takes it. */
  readonly plural: string;
  readonly aliases: readonly string[];
  readonly namespaced: boolean;
}

const istioVersions = ['v1alpha3', 'v1beta1', 'v1'] as const;

export const kinds: readonly KindInfo[] = Object.freeze([
  {
    kind: 'Namespace',
    group: '',
    versions: ['v1'],
    plural: 'namespaces',
    aliases: ['ns'],
    namespaced: false,
  },
  {
    kind: 'ServiceAccount',
    group: '',
    versions: ['v1'],
    plural: 'serviceaccounts',
    aliases: ['sa'],
    namespaced: true,
  },
  {
    kind: 'PersistentVolumeClaim',
    group: '',
    versions: ['v1'],
    plural: 'persistentvolumeclaims',
    aliases: ['pvc'],
    namespaced: true,
  },
  { kind: 'Service', group: '', versions: ['v1'], plural: 'services', aliases: ['svc'], namespaced: true },
  // Read by replicas when they start (configMapKeyRef, envFrom).
  { kind: 'ConfigMap', group: '', versions: ['v1'], plural: 'configmaps', aliases: ['cm'], namespaced: true },
  // Read by Gateway servers' credentialName (TLS), and by replicas when they start (secretKeyRef, envFrom).
  { kind: 'Secret', group: '', versions: ['v1'], plural: 'secrets', aliases: [], namespaced: true },
  {
    kind: 'Deployment',
    group: 'apps',
    versions: ['v1'],
    plural: 'deployments',
    aliases: ['deploy'],
    namespaced: true,
  },
  {
    kind: 'StatefulSet',
    group: 'apps',
    versions: ['v1'],
    plural: 'statefulsets',
    aliases: ['sts'],
    namespaced: true,
  },
  {
    kind: 'Gateway',
    group: 'networking.istio.io',
    versions: istioVersions,
    plural: 'gateways',
    aliases: ['gw'],
    namespaced: true,
  },
  {
    kind: 'VirtualService',
    group: 'networking.istio.io',
    versions: istioVersions,
    plural: 'virtualservices',
    aliases: ['vs'],
    namespaced: true,
  },
  {
    kind: 'DestinationRule',
    group: 'networking.istio.io',
    versions: istioVersions,
    plural: 'destinationrules',
    aliases: ['dr'],
    namespaced: true,
  },
]);

/** Pods are not applied: they are the replicas the runtime runs for each Deployment. */
export const podKind = { plural: 'pods', aliases: ['po', 'pod'] } as const;

export function kindOf(kind: string): KindInfo | undefined {
  return kinds.find((info) => info.kind === kind);
}

/** Every name `mesh get` takes for `info`, as kubectl: plural, kind, short names, with or without the group. */
function namesOf(info: KindInfo): string[] {
  const names = [info.plural, info.kind.toLowerCase(), ...info.aliases];
  return info.group
    ? [...names, `${info.plural}.${info.group}`, `${info.kind.toLowerCase()}.${info.group}`]
    : names;
}

/** `deploy`, `deployment`, `deployments`, `Deployment` → the Deployment kind; `pods` → 'pods'. */
export function kindFromArgument(argument: string): KindInfo | 'pods' | undefined {
  const lower = argument.toLowerCase();
  if (lower === podKind.plural || podKind.aliases.includes(lower as 'po')) return 'pods';
  return kinds.find((info) => namesOf(info).includes(lower));
}

/** What `kindFromArgument` accepts, for suggestions. */
export function kindArguments(): string[] {
  return [podKind.plural, ...podKind.aliases, ...kinds.flatMap(namesOf)];
}

export function apiVersionAccepted(info: KindInfo, apiVersion: string): boolean {
  return info.versions.some((version) => apiVersion === (info.group ? `${info.group}/${version}` : version));
}

export function acceptedApiVersions(info: KindInfo): string {
  return info.versions.map((version) => (info.group ? `${info.group}/${version}` : version)).join(', ');
}

/** kubectl's output name: `deployment.apps/back-v2`, `service/back`, `virtualservice.networking.istio.io/x`. */
export function displayName(info: KindInfo, name: string): string {
  return `${info.kind.toLowerCase()}${info.group ? `.${info.group}` : ''}/${name}`;
}
