import type { AppliedObject } from '../config-source.ts';

/** Where one Istio object was applied from, for a link to it. */
interface Origin {
  readonly name: string;
  readonly namespace: string;
  readonly file: string;
  readonly line: number | undefined;
}

export interface RouteDestination {
  readonly host: string;
  readonly subset: string | undefined;
  readonly port: number | undefined;
  /** Percent of the route's requests; a lone destination without a weight gets them all. */
  readonly weight: number | undefined;
  /** Whether this destination is the Service asked about (a route may split across services). */
  readonly toService: boolean;
}

/** One `spec.http[i]` of a VirtualService that sends requests (or a mirror's copies) to the Service. */
export interface ServiceRoute {
  readonly virtualService: Origin;
  readonly index: number;
  readonly name: string | undefined;
  readonly hosts: readonly string[];
  /** `mesh` when the VirtualService names none: it applies to the sidecars only. */
  readonly gateways: readonly string[];
  /** `uri prefix /fail`, `method GET and header x-canary exact 1`, `any request`. */
  readonly match: string;
  readonly destinations: readonly RouteDestination[];
  readonly mirror: (RouteDestination & { readonly percentage: number }) | undefined;
  readonly timeout: string | undefined;
  readonly retries:
    | { readonly attempts: number; readonly perTryTimeout?: string; readonly retryOn?: string }
    | undefined;
  /** `delay 5s for 50%`, `abort 503 for 10%`. */
  readonly fault: string | undefined;
}

export interface RuleSubset {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The Deployments of the Service whose pods the subset's labels select. */
  readonly workloads: readonly string[];
}

export interface ServiceRule extends Origin {
  readonly host: string;
  readonly subsets: readonly RuleSubset[];
}

export interface ServiceRouting {
  readonly service: { readonly namespace: string; readonly name: string };
  readonly routes: readonly ServiceRoute[];
  readonly destinationRules: readonly ServiceRule[];
  /** Every Deployment behind the Service (its selector), the ones no subset names included. */
  readonly workloads: readonly string[];
}

type Manifest = Readonly<Record<string, unknown>>;

/**
 * What sends requests to the Service `namespace/name` and how they are split: every HTTP route of
 * every VirtualService with a destination or a mirror on it, and the DestinationRules for its
 * host with the Deployments each subset selects. Hosts are read as Istio reads them: `back`,
 * `back.music` and `back.music.svc.cluster.local` are one host, a short name in the namespace
 * of the object that writes it.
 */
export function serviceRouting(
  objects: readonly AppliedObject[],
  namespace: string,
  name: string,
): ServiceRouting {
  const isTarget = (host: unknown, from: string) => {
    const service = serviceOf(typeof host === 'string' ? host : '', from);
    return service?.namespace === namespace && service.name === name;
  };
  const routes: ServiceRoute[] = [];
  for (const vs of objects.filter((object) => object.kind === 'VirtualService')) {
    const spec = record(vs.manifest.spec);
    const gateways = strings(spec.gateways);
    for (const [index, route] of list(spec.http).map(record).entries()) {
      const destinations = list(route.route).map((entry, _, all) => {
        const destination = destinationOf(record(entry).destination, isTarget, vs.namespace);
        const weight = record(entry).weight;
        return {
          ...destination,
          weight: typeof weight === 'number' ? weight : all.length === 1 ? 100 : undefined,
        };
      });
      const mirror = mirrorOf(route, isTarget, vs.namespace);
      if (!destinations.some((d) => d.toService) && !mirror?.toService) continue;
      routes.push({
        virtualService: origin(vs),
        index,
        name: typeof route.name === 'string' ? route.name : undefined,
        hosts: strings(spec.hosts),
        gateways: gateways.length > 0 ? gateways : ['mesh'],
        match: matchSummary(list(route.match)),
        destinations,
        mirror,
        timeout: typeof route.timeout === 'string' ? route.timeout : undefined,
        retries: retriesOf(route.retries),
        fault: faultSummary(route.fault),
      });
    }
  }
  const service = objects.find(
    (object) => object.kind === 'Service' && object.namespace === namespace && object.name === name,
  );
  const selector = stringMap(record(service?.manifest.spec).selector);
  // A Service without a selector has no pods of its own: no Deployment is behind it.
  const deployments = objects
    .filter(
      (object) =>
        object.kind === 'Deployment' && object.namespace === namespace && Object.keys(selector).length > 0,
    )
    .map((deployment) => ({ name: deployment.name, labels: podLabels(deployment.manifest) }))
    .filter((deployment) => selects(selector, deployment.labels));
  const destinationRules = objects
    .filter(
      (object) =>
        object.kind === 'DestinationRule' && isTarget(record(object.manifest.spec).host, object.namespace),
    )
    .map((rule): ServiceRule => {
      const spec = record(rule.manifest.spec);
      return {
        ...origin(rule),
        host: String(spec.host),
        subsets: list(spec.subsets)
          .map(record)
          .map((subset) => {
            const labels = stringMap(subset.labels);
            return {
              name: String(subset.name ?? ''),
              labels,
              workloads: deployments.filter((d) => selects(labels, d.labels)).map((d) => d.name),
            };
          }),
      };
    });
  return {
    service: { namespace, name },
    routes,
    destinationRules,
    workloads: deployments.map((deployment) => deployment.name),
  };
}

/** `back`, `back.music`, `back.music.svc.cluster.local` → the Service they name, read in `namespace`. */
export function serviceOf(host: string, namespace: string): { namespace: string; name: string } | undefined {
  if (host === '' || host.includes('*')) return undefined;
  const short = host.endsWith('.svc.cluster.local') ? host.slice(0, -'.svc.cluster.local'.length) : host;
  const [name, ns, ...rest] = short.split('.');
  if (rest.length > 0 || !name) return undefined;
  return { namespace: ns ?? namespace, name };
}

function destinationOf(
  value: unknown,
  isTarget: (host: unknown, from: string) => boolean,
  from: string,
): Omit<RouteDestination, 'weight'> {
  const destination = record(value);
  const port = record(destination.port).number;
  return {
    host: String(destination.host ?? ''),
    subset: typeof destination.subset === 'string' ? destination.subset : undefined,
    port: typeof port === 'number' ? port : undefined,
    toService: isTarget(destination.host, from),
  };
}

/** `mirror` with `mirrorPercentage` (all requests when absent), or the first of `mirrors`. */
function mirrorOf(
  route: Manifest,
  isTarget: (host: unknown, from: string) => boolean,
  from: string,
): ServiceRoute['mirror'] {
  const mirrors = [
    ...(route.mirror !== undefined
      ? [{ destination: route.mirror, percentage: route.mirrorPercentage }]
      : []),
    ...list(route.mirrors).map((entry) => ({
      destination: record(entry).destination,
      percentage: record(entry).percentage,
    })),
  ];
  const chosen = mirrors.find((m) => isTarget(record(m.destination).host, from)) ?? mirrors[0];
  if (!chosen) return undefined;
  const value = record(chosen.percentage).value;
  return {
    ...destinationOf(chosen.destination, isTarget, from),
    weight: undefined,
    percentage: typeof value === 'number' ? value : 100,
  };
}

const matchFields = ['uri', 'scheme', 'method', 'authority'] as const;

function matchSummary(matches: readonly unknown[]): string {
  if (matches.length === 0) return 'any request';
  return matches
    .map(record)
    .map((match) => {
      const parts: string[] = [];
      for (const field of matchFields)
        if (match[field] !== undefined) parts.push(`${field} ${stringMatch(match[field])}`);
      for (const [header, value] of Object.entries(record(match.headers)))
        parts.push(`header ${header} ${stringMatch(value)}`);
      for (const [param, value] of Object.entries(record(match.queryParams)))
        parts.push(`query ${param} ${stringMatch(value)}`);
      if (typeof match.port === 'number') parts.push(`port ${match.port}`);
      const labels = Object.entries(stringMap(match.sourceLabels));
      if (labels.length > 0) parts.push(`from ${labels.map(([k, v]) => `${k}=${v}`).join(',')}`);
      return parts.length > 0 ? parts.join(' and ') : 'any request';
    })
    .join(' or ');
}

/** `{ prefix: /back }` → `prefix /back`. */
function stringMatch(value: unknown): string {
  const [kind, text] = Object.entries(record(value))[0] ?? ['exact', ''];
  return `${kind} ${String(text)}`;
}

function retriesOf(value: unknown): ServiceRoute['retries'] {
  const retries = record(value);
  if (typeof retries.attempts !== 'number') return undefined;
  return {
    attempts: retries.attempts,
    ...(typeof retries.perTryTimeout === 'string' ? { perTryTimeout: retries.perTryTimeout } : {}),
    ...(typeof retries.retryOn === 'string' ? { retryOn: retries.retryOn } : {}),
  };
}

function faultSummary(value: unknown): string | undefined {
  const fault = record(value);
  const share = (part: Manifest) => {
    const percentage = record(part.percentage).value;
    return `for ${typeof percentage === 'number' ? percentage : 100}%`;
  };
  const parts: string[] = [];
  if (fault.delay !== undefined) {
    const delay = record(fault.delay);
    parts.push(`delay ${String(delay.fixedDelay ?? '?')} ${share(delay)}`);
  }
  if (fault.abort !== undefined) {
    const abort = record(fault.abort);
    parts.push(`abort ${String(abort.httpStatus ?? abort.grpcStatus ?? '?')} ${share(abort)}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function origin(object: AppliedObject): Origin {
  return { name: object.name, namespace: object.namespace, file: object.file, line: object.line };
}

function podLabels(manifest: Manifest): Record<string, string> {
  return stringMap(record(record(record(manifest.spec).template).metadata).labels);
}

/** Kubernetes' equality selector: every label of `selector` on `labels` (an empty one selects all). */
function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function record(value: unknown): Manifest {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Manifest) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function strings(value: unknown): string[] {
  return list(value).filter((item): item is string => typeof item === 'string');
}

function stringMap(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record(value)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
