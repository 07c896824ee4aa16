import type { ConfigObject, ExplainedDestination, ExplainedRoute, Explanation } from './explain-api';

/** An Istio object a step names, and where it was written (`deploy/istio/x.yaml:12`) when known. */
export interface ObjectRef {
  readonly kind: string;
  /** `namespace/name`. */
  readonly name: string;
  readonly source: string | undefined;
}

/** One step of the request's way, as `mesh explain` prints it line by line. */
export interface ExplainStep {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly items: readonly string[];
  readonly refs: readonly ObjectRef[];
  /** `failed` where the request stops or something is missing. */
  readonly outcome: 'ok' | 'failed';
  /** Envoy's response flag when the request is not routed (`NR`). */
  readonly flag?: string;
}

export type SourceOf = (kind: string, name: string) => string | undefined;

/** `file (document 3)` and line 12 → `file:12 (document 3)`, the way an editor opens it. */
function location(object: ConfigObject): string {
  if (object.line === undefined) return object.file;
  const match = /^(.*?)( \(document \d+\))?$/.exec(object.file);
  return `${match?.[1] ?? object.file}:${object.line}${match?.[2] ?? ''}`;
}

/** Where each object of the config page was written, by kind and `namespace/name`. */
export function sourcesOf(objects: readonly ConfigObject[]): SourceOf {
  const byKey = new Map(objects.map((o) => [`${o.kind} ${o.namespace}/${o.name}`, location(o)]));
  return (kind, name) => byKey.get(`${kind} ${name}`);
}

const noSources: SourceOf = () => undefined;

function target(d: { host: string; subset: string | null }): string {
  return `${d.host}${d.subset ? ` subset ${d.subset}` : ''}`;
}

function destinationLine(d: ExplainedDestination): string {
  const parts = [`${target(d)}${d.port ? ` port ${d.port}` : ''}: ${d.percent}% (weight ${d.weight})`];
  if (d.cluster) parts.push(`cluster ${d.cluster}`);
  if (d.subsetLabels)
    parts.push(
      `pods labelled ${Object.entries(d.subsetLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  if (d.loadBalancer) parts.push(`load balancer ${d.loadBalancer}`);
  if (d.problem) parts.push(`⚠ ${d.problem}`);
  return parts.join(' · ');
}

function routeSteps(route: ExplainedRoute, reason: string | null, source: SourceOf): ExplainStep[] {
  const steps: ExplainStep[] = [];
  const vs = route.virtualService;
  const vsRefs = vs ? [{ kind: 'VirtualService', name: vs, source: source('VirtualService', vs) }] : [];
  const actionItems: string[] = [];
  if (route.redirect) actionItems.push(`redirect: ${JSON.stringify(route.redirect)}`);
  if (route.directResponse) actionItems.push(`direct response: ${JSON.stringify(route.directResponse)}`);
  if (reason) actionItems.push(reason);
  steps.push({
    id: 'route',
    title: 'Route',
    summary: `${route.name}${vs ? ` of VirtualService ${vs}` : ' (no VirtualService: the Service’s default route)'}: ${route.action}`,
    items: actionItems,
    refs: vsRefs,
    outcome: 'ok',
  });
  if (route.destinations.length > 0) {
    const rules = [
      ...new Set(route.destinations.flatMap((d) => (d.destinationRule ? [d.destinationRule] : []))),
    ];
    const split = route.destinations.length > 1 ? ', split by weight' : '';
    steps.push({
      id: 'destinations',
      title: 'Destination',
      summary: `${route.destinations.map((d) => `${target(d)} ${d.percent}%`).join(', ')}${split}`,
      items: route.destinations.map(destinationLine),
      refs: rules.map((name) => ({ kind: 'DestinationRule', name, source: source('DestinationRule', name) })),
      outcome: route.destinations.some((d) => d.problem) ? 'failed' : 'ok',
    });
  }
  if (route.mirrors.length > 0)
    steps.push({
      id: 'mirror',
      title: 'Mirror',
      summary: `a copy to ${route.mirrors.map((m) => `${target(m)} (${m.percent}% of requests)`).join(', ')}, its answer dropped`,
      items: route.mirrors.flatMap((m) => (m.cluster ? [`${target(m)}: cluster ${m.cluster}`] : [])),
      refs: vsRefs,
      outcome: 'ok',
    });
  const fault = route.fault;
  if (fault && (fault.delayPercent > 0 || fault.abortPercent > 0)) {
    const items: string[] = [];
    if (fault.delayPercent > 0)
      items.push(`delay ${fault.delayMs} ms for ${fault.delayPercent}% of requests`);
    if (fault.abortPercent > 0)
      items.push(`abort with ${fault.abortStatus} for ${fault.abortPercent}% of requests`);
    steps.push({
      id: 'fault',
      title: 'Fault injection',
      summary: items.join(', '),
      items: [],
      refs: vsRefs,
      outcome: 'ok',
    });
  }
  const retries = route.retries;
  steps.push({
    id: 'policy',
    title: 'Retries and timeout',
    summary: `timeout ${route.timeout}, ${retries ? `retries up to ${retries.attempts} on ${retries.retryOn}` : 'no retries'}`,
    items: retries?.perTryTimeoutMs ? [`each try times out after ${retries.perTryTimeoutMs} ms`] : [],
    refs: vsRefs,
    outcome: 'ok',
  });
  const known = route.destinations.filter((d) => d.endpoints !== null);
  if (known.length > 0)
    steps.push({
      id: 'endpoints',
      title: 'Endpoints',
      summary: known.every((d) => (d.endpoints ?? []).length > 0)
        ? `${known.reduce((n, d) => n + (d.endpoints ?? []).length, 0)} ready`
        : 'a destination has no ready endpoint: answered 503 UH',
      items: known.map((d) => `${target(d)}: ${(d.endpoints ?? []).join(', ') || 'none ready'}`),
      refs: [],
      outcome: known.every((d) => (d.endpoints ?? []).length > 0) ? 'ok' : 'failed',
    });
  if (route.stages.length > 0)
    steps.push({
      id: 'stages',
      title: 'What the proxy does, in order',
      summary: `${route.stages.length} stages`,
      items: route.stages,
      refs: [],
      outcome: 'ok',
    });
  return steps;
}

/** The explanation as steps, from the listener to the endpoints, as `mesh explain` prints it. */
export function explainSteps(e: Explanation, source: SourceOf = noSources): ExplainStep[] {
  const edge = e.context === 'gateway';
  const gateways = edge ? e.gateways : [];
  const steps: ExplainStep[] = [
    {
      id: 'listener',
      title: edge ? 'Gateway' : 'Sidecar',
      summary: edge
        ? `${e.method} ${e.authority}${e.path} arrives at the ingress gateway${e.gatewayPort ? `, Gateway port ${e.gatewayPort}` : ''}`
        : `${e.method} ${e.authority}${e.path} leaves ${e.source ? `${e.source.namespace}/${e.source.workload}` : 'a workload'} through its sidecar (mesh)`,
      items: edge && gateways.length === 0 ? ['no Gateway serves this port'] : [],
      refs: gateways.map((name) => ({ kind: 'Gateway', name, source: source('Gateway', name) })),
      outcome: edge && gateways.length === 0 ? 'failed' : 'ok',
    },
  ];
  const vh = e.virtualHost;
  steps.push({
    id: 'host',
    title: 'Host',
    summary: vh
      ? `virtual host ${vh.name}${vh.virtualServices.length > 0 ? `, from ${vh.virtualServices.join(', ')}` : ' (no VirtualService)'}`
      : `no virtual host for ${e.authority || 'an empty host'}`,
    items: [],
    refs: (vh?.virtualServices ?? []).map((name) => ({
      kind: 'VirtualService',
      name,
      source: source('VirtualService', name),
    })),
    outcome: vh ? 'ok' : 'failed',
  });
  if (e.routes.length > 0) {
    const matched = e.routes.find((r) => r.matched);
    steps.push({
      id: 'routes',
      title: 'Route match',
      summary: matched
        ? `${matched.name} matched${e.routes.length > 1 ? `, after ${e.routes.length - 1} that did not` : ''}`
        : `none of ${e.routes.length} routes matched`,
      items: e.routes.map((r) =>
        r.matched ? `✔ ${r.name}` : `✘ ${r.name}: ${r.failedCondition ?? 'no match'} does not hold`,
      ),
      refs: [],
      outcome: matched ? 'ok' : 'failed',
    });
  }
  if (!e.matched || !e.route) {
    steps.push({
      id: 'unrouted',
      title: 'Not routed',
      summary: e.reason ?? 'the runtime gave no reason',
      items: [],
      refs: [],
      outcome: 'failed',
      ...(e.responseFlag ? { flag: e.responseFlag } : {}),
    });
    return steps;
  }
  return [...steps, ...routeSteps(e.route, e.reason, source)];
}
