import type { ConfigObject, Level, Manifest } from './config-api';

/** The kinds the page shows, in the order a reader follows a request: gateway, routes, pods. */
export const kinds = [
  { kind: 'Gateway', label: 'Gateways' },
  { kind: 'VirtualService', label: 'VirtualServices' },
  { kind: 'DestinationRule', label: 'DestinationRules' },
  { kind: 'Deployment', label: 'Deployments' },
  { kind: 'Service', label: 'Services' },
] as const;

export interface ConfigFilter {
  /** One kind, or every kind when empty. */
  readonly kind?: string | undefined;
  /** Part of the name, any case. */
  readonly name?: string | undefined;
}

export interface KindGroup {
  readonly kind: string;
  readonly label: string;
  readonly objects: readonly ConfigObject[];
}

/** The objects the filter keeps, by kind in `kinds` order, then by namespace and name; no empty group. */
export function groupObjects(objects: readonly ConfigObject[], filter: ConfigFilter = {}): KindGroup[] {
  const name = (filter.name ?? '').trim().toLowerCase();
  const kept = objects.filter(
    (object) =>
      (!filter.kind || object.kind === filter.kind) && (!name || object.name.toLowerCase().includes(name)),
  );
  return kinds
    .map(({ kind, label }) => ({
      kind,
      label,
      objects: kept
        .filter((object) => object.kind === kind)
        .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name)),
    }))
    .filter((group) => group.objects.length > 0);
}

/** The element id of an object on the page, for links and scrolling. */
export function objectId(object: Pick<ConfigObject, 'kind' | 'namespace' | 'name'>): string {
  return `${object.kind}-${object.namespace}-${object.name}`.toLowerCase();
}

/**
 * Where an object comes from, as `file:line`: the line already picks the document of a
 * multi-document file, so the runtime's " (document 2)" is left out then.
 */
export function sourceOf(object: Pick<ConfigObject, 'file' | 'line'>): string {
  if (object.line === undefined) return object.file;
  return `${object.file.replace(/ \(document \d+\)$/, '')}:${object.line}`;
}

export interface Concerned {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** The worst level of its findings. */
  readonly level: Level;
  readonly count: number;
}

export interface FindingsSummary {
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
  /** "2 errors, 1 warning", or "No findings". */
  readonly text: string;
  /** The objects with findings, worst first. */
  readonly concerned: readonly Concerned[];
}

const levels: readonly Level[] = ['Error', 'Warning', 'Info'];

export function findingsSummary(objects: readonly ConfigObject[]): FindingsSummary {
  const all = objects.flatMap((object) => object.findings);
  const count = (level: Level) => all.filter((finding) => finding.level === level).length;
  const [errors, warnings, infos] = levels.map(count) as [number, number, number];
  const parts = [
    errors > 0 ? `${errors} ${errors === 1 ? 'error' : 'errors'}` : '',
    warnings > 0 ? `${warnings} ${warnings === 1 ? 'warning' : 'warnings'}` : '',
    infos > 0 ? `${infos} info` : '',
  ].filter(Boolean);
  const kindOrder = (kind: string) => kinds.findIndex((k) => k.kind === kind);
  const concerned = objects
    .filter((object) => object.findings.length > 0)
    .map((object) => ({
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      level: levels.find((level) => object.findings.some((f) => f.level === level)) as Level,
      count: object.findings.length,
    }))
    .sort(
      (a, b) =>
        levels.indexOf(a.level) - levels.indexOf(b.level) ||
        kindOrder(a.kind) - kindOrder(b.kind) ||
        a.name.localeCompare(b.name),
    );
  return { errors, warnings, infos, text: parts.length > 0 ? parts.join(', ') : 'No findings', concerned };
}

const routeKinds = ['http', 'tcp', 'tls'] as const;

/** `back`, `back.music` and `back.music.svc.cluster.local` all name Service back of music. */
function serviceOfHost(host: string, namespace: string): string | undefined {
  const [name, ns, ...rest] = host.split('.');
  if (!name || (ns !== undefined && ns !== namespace)) return undefined;
  if (rest.length > 0 && rest.join('.') !== 'svc.cluster.local') return undefined;
  return name;
}

interface Spec {
  readonly host?: unknown;
  readonly subsets?: unknown;
  readonly template?: { readonly metadata?: { readonly labels?: unknown } };
  readonly http?: unknown;
  readonly tcp?: unknown;
  readonly tls?: unknown;
}

function specOf(manifest: Manifest): Spec {
  const spec = manifest.spec;
  return spec && typeof spec === 'object' ? (spec as Spec) : {};
}

function list<T>(value: unknown): Partial<T>[] {
  return Array.isArray(value) ? (value as Partial<T>[]) : [];
}

/** The Services a VirtualService's routes send requests to, in the order they first appear. */
export function routedServices(vs: ConfigObject): string[] {
  const spec = specOf(vs.manifest);
  const names = routeKinds.flatMap((kind) =>
    list<{ route: unknown }>(spec[kind]).flatMap((route) =>
      list<{ destination: { host?: unknown } }>(route.route).map((destination) => {
        const host = destination.destination?.host;
        return typeof host === 'string' ? serviceOfHost(host, vs.namespace) : undefined;
      }),
    ),
  );
  return [...new Set(names.filter((name): name is string => name !== undefined))];
}

/** The Services the wizards are offered for on an object: itself, or those a VirtualService routes to. */
export function wizardServices(object: ConfigObject, objects: readonly ConfigObject[]): string[] {
  if (object.kind === 'Service') return [object.name];
  if (object.kind !== 'VirtualService') return [];
  return routedServices(object).filter((name) =>
    objects.some((o) => o.kind === 'Service' && o.namespace === object.namespace && o.name === name),
  );
}

function podLabels(deployment: ConfigObject): { readonly app?: unknown; readonly version?: unknown } {
  const labels = specOf(deployment.manifest).template?.metadata?.labels;
  return labels && typeof labels === 'object' ? labels : {};
}

/**
 * The subsets a traffic-shifting wizard offers for a Service: its DestinationRule's, then the
 * `version` labels of its Deployments that no subset names yet (the wizard adds those subsets).
 */
export function subsetsFor(objects: readonly ConfigObject[], namespace: string, service: string): string[] {
  const inNamespace = objects.filter((object) => object.namespace === namespace);
  const declared = inNamespace
    .filter((object) => object.kind === 'DestinationRule')
    .filter((rule) => {
      const host = specOf(rule.manifest).host;
      return typeof host === 'string' && serviceOfHost(host, namespace) === service;
    })
    .flatMap((rule) => list<{ name: unknown }>(specOf(rule.manifest).subsets).map((subset) => subset.name))
    .filter((name): name is string => typeof name === 'string');
  const versions = inNamespace
    .filter((object) => object.kind === 'Deployment' && podLabels(object).app === service)
    .map((deployment) => podLabels(deployment).version)
    .filter((version): version is string => typeof version === 'string')
    .sort();
  return [...new Set([...declared, ...versions])];
}
