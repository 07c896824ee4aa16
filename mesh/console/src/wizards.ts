import { stringify } from 'yaml';
import { ConsoleError } from './errors.ts';
import type { IstioObject } from './graph/istio-details.ts';

/** A wizard's answer is refused: the field at fault is named first, as in problem+json details. */
export class WizardError extends ConsoleError {
  constructor(message: string) {
    super('WIZARD_INVALID', 400, message);
  }
}

export type WizardRequest =
  | {
      readonly wizard: 'traffic-shifting';
      readonly namespace: string;
      readonly service: string;
      /** Subset → weight, adding up to 100. */
      readonly weights: Readonly<Record<string, number>>;
      /** A mirror to a subset (percentage of requests), or none. */
      readonly mirror?: { readonly subset: string; readonly percentage: number } | undefined;
    }
  | {
      readonly wizard: 'fault-injection';
      readonly namespace: string;
      readonly service: string;
      readonly delay?: { readonly fixedDelay: string; readonly percentage: number } | undefined;
      readonly abort?: { readonly httpStatus: number; readonly percentage: number } | undefined;
    }
  | {
      readonly wizard: 'request-timeouts';
      readonly namespace: string;
      readonly service: string;
      readonly timeout?: string | undefined;
      readonly retries?:
        | {
            readonly attempts: number;
            readonly perTryTimeout?: string | undefined;
            readonly retryOn?: string | undefined;
          }
        | undefined;
    };

export const wizardNames = ['traffic-shifting', 'fault-injection', 'request-timeouts'] as const;

type Manifest = Record<string, unknown>;

/**
 * The objects a wizard applies, as Kiali's wizards write them, but on every route that sends
 * requests to the Service: a VirtualService bound to the gateway as well as the mesh one (the
 * gateway follows only its own, so changing only the mesh one would leave browser traffic as it
 * was). Missing subsets are added to the Service's DestinationRule from its Deployments' `version`
 * labels; without a mesh VirtualService for the Service one is created, named after it. Each
 * object is whole, without server fields, ready to save for the cluster.
 */
export function wizardManifests(objects: readonly IstioObject[], request: WizardRequest): Manifest[] {
  checkRequest(request);
  const { namespace, service } = request;
  const changed: Manifest[] = [];
  const subsets = request.wizard === 'traffic-shifting' ? usedSubsets(request) : [];
  if (subsets.length > 0) {
    const rule = destinationRule(objects, namespace, service, subsets);
    if (rule) changed.push(rule);
  }
  let meshRoute = false;
  for (const vs of objects.filter(
    (object) => object.kind === 'VirtualService' && object.namespace === namespace,
  )) {
    const manifest = clean(vs.manifest);
    const spec = manifest.spec as Manifest;
    const http = (Array.isArray(spec.http) ? spec.http : []) as Manifest[];
    let touched = false;
    for (const [index, route] of http.entries()) {
      const destinations = (Array.isArray(route.route) ? route.route : []) as Manifest[];
      const toService = destinations.filter((destination) =>
        isService(hostOf(destination.destination), namespace, service),
      );
      if (toService.length === 0) continue;
      if (toService.length !== destinations.length)
        throw new WizardError(
          `VirtualService ${vs.name}: spec.http[${index}] also routes to other services; edit it by hand`,
        );
      applyToRoute(route, request, destinations);
      touched = true;
    }
    if (!touched) continue;
    const gateways = Array.isArray(spec.gateways) ? (spec.gateways as string[]) : [];
    if (gateways.length === 0 || gateways.includes('mesh')) meshRoute = true;
    changed.push(manifest);
  }
  if (!meshRoute) {
    const route: Manifest = { route: [{ destination: { host: service } }] };
    applyToRoute(route, request, route.route as Manifest[]);
    changed.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: service, namespace },
      spec: { hosts: [service], http: [route] },
    });
  }
  return changed;
}

/** The manifests as one multi-document YAML file. */
export function toYaml(manifests: readonly Manifest[]): string {
  return manifests.map((manifest) => stringify(manifest)).join('---\n');
}

function applyToRoute(route: Manifest, request: WizardRequest, destinations: readonly Manifest[]): void {
  const template = { ...((destinations[0]?.destination as Manifest | undefined) ?? {}) };
  if (request.wizard === 'traffic-shifting') {
    route.route = Object.entries(request.weights).map(([subset, weight]) => ({
      destination: { ...template, subset },
      weight,
    }));
    delete route.mirror;
    delete route.mirrors;
    delete route.mirrorPercentage;
    delete route.mirrorPercent;
    if (request.mirror) {
      route.mirror = { ...template, subset: request.mirror.subset };
      route.mirrorPercentage = { value: request.mirror.percentage };
    }
  } else if (request.wizard === 'fault-injection') {
    delete route.fault;
    const fault: Manifest = {};
    if (request.delay)
      fault.delay = { fixedDelay: request.delay.fixedDelay, percentage: { value: request.delay.percentage } };
    if (request.abort)
      fault.abort = { httpStatus: request.abort.httpStatus, percentage: { value: request.abort.percentage } };
    if (Object.keys(fault).length > 0) route.fault = fault;
  } else {
    delete route.timeout;
    delete route.retries;
    if (request.timeout) route.timeout = request.timeout;
    if (request.retries) {
      const { attempts, perTryTimeout, retryOn } = request.retries;
      route.retries = {
        attempts,
        ...(perTryTimeout ? { perTryTimeout } : {}),
        ...(retryOn ? { retryOn } : {}),
      };
    }
  }
}

function usedSubsets(request: Extract<WizardRequest, { wizard: 'traffic-shifting' }>): string[] {
  return [...new Set([...Object.keys(request.weights), ...(request.mirror ? [request.mirror.subset] : [])])];
}

/** The Service's DestinationRule with every subset asked for, or undefined when it has them all. */
function destinationRule(
  objects: readonly IstioObject[],
  namespace: string,
  service: string,
  subsets: readonly string[],
): Manifest | undefined {
  const existing = objects.find(
    (object) =>
      object.kind === 'DestinationRule' &&
      object.namespace === namespace &&
      isService(String((object.manifest.spec as Manifest | undefined)?.host ?? ''), namespace, service),
  );
  const manifest: Manifest = existing
    ? clean(existing.manifest)
    : {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: service, namespace },
        spec: { host: service, subsets: [] },
      };
  const spec = manifest.spec as Manifest;
  const list = (Array.isArray(spec.subsets) ? spec.subsets : []) as Manifest[];
  spec.subsets = list;
  let added = false;
  for (const subset of subsets) {
    if (list.some((entry) => entry.name === subset)) continue;
    const deployment = objects.find(
      (object) =>
        object.kind === 'Deployment' &&
        object.namespace === namespace &&
        podLabels(object).app === service &&
        podLabels(object).version === subset,
    );
    if (!deployment)
      throw new WizardError(
        `weights.${subset}: the DestinationRule of ${service} has no subset ${subset}, and no Deployment of ${service} has version ${subset}`,
      );
    list.push({ name: subset, labels: { version: subset } });
    added = true;
  }
  return added ? manifest : undefined;
}

function checkRequest(request: WizardRequest): void {
  const percent = (field: string, value: unknown) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100)
      throw new WizardError(`${field}: must be a number from 0 to 100`);
  };
  const duration = (field: string, value: unknown) => {
    if (typeof value !== 'string' || !/^\d+(\.\d+)?(ms|s|m|h)$/.test(value))
      throw new WizardError(`${field}: must be a duration such as 500ms or 2s`);
  };
  for (const field of ['namespace', 'service'] as const)
    if (typeof request[field] !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(request[field]))
      throw new WizardError(`${field}: must be a Kubernetes name`);
  if (request.wizard === 'traffic-shifting') {
    const entries = Object.entries(request.weights ?? {});
    if (entries.length === 0) throw new WizardError('weights: name at least one subset');
    for (const [subset, weight] of entries) {
      if (!/^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/.test(subset))
        throw new WizardError(`weights.${subset}: is not a subset name`);
      if (!Number.isInteger(weight) || weight < 0 || weight > 100)
        throw new WizardError(`weights.${subset}: must be an integer from 0 to 100`);
    }
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    if (total !== 100) throw new WizardError(`weights: must add up to 100 (they add up to ${total})`);
    if (request.mirror) {
      if (typeof request.mirror.subset !== 'string') throw new WizardError('mirror.subset: is required');
      percent('mirror.percentage', request.mirror.percentage);
    }
  } else if (request.wizard === 'fault-injection') {
    if (!request.delay && !request.abort) throw new WizardError('delay: give a delay, an abort or both');
    if (request.delay) {
      duration('delay.fixedDelay', request.delay.fixedDelay);
      percent('delay.percentage', request.delay.percentage);
    }
    if (request.abort) {
      const status = request.abort.httpStatus;
      if (!Number.isInteger(status) || status < 200 || status > 599)
        throw new WizardError('abort.httpStatus: must be an HTTP status from 200 to 599');
      percent('abort.percentage', request.abort.percentage);
    }
  } else if (request.wizard === 'request-timeouts') {
    if (request.timeout !== undefined) duration('timeout', request.timeout);
    if (request.retries) {
      if (!Number.isInteger(request.retries.attempts) || request.retries.attempts < 0)
        throw new WizardError('retries.attempts: must be an integer >= 0');
      if (request.retries.perTryTimeout !== undefined)
        duration('retries.perTryTimeout', request.retries.perTryTimeout);
    }
  } else throw new WizardError(`wizard: must be one of ${wizardNames.join(', ')}`);
}

/** A copy without what the API server adds (status, uid, resourceVersion, managedFields...). */
function clean(manifest: Readonly<Record<string, unknown>>): Manifest {
  const copy = structuredClone(manifest) as Manifest;
  delete copy.status;
  const metadata = (copy.metadata ?? {}) as Manifest;
  for (const key of [
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'managedFields',
    'selfLink',
  ])
    delete metadata[key];
  return copy;
}

function hostOf(destination: unknown): string {
  return String((destination as Manifest | undefined)?.host ?? '');
}

function isService(host: string, namespace: string, service: string): boolean {
  return (
    host === service ||
    host === `${service}.${namespace}` ||
    host === `${service}.${namespace}.svc.cluster.local`
  );
}

function podLabels(deployment: IstioObject): Record<string, string> {
  const template = ((deployment.manifest.spec as Manifest | undefined)?.template ?? {}) as Manifest;
  return ((template.metadata as Manifest | undefined)?.labels ?? {}) as Record<string, string>;
}
