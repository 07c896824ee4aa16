/** The wizards' forms and the request bodies they send (WizardRequest in mesh/console/src/wizards.ts). */
export const wizards = [
  { name: 'traffic-shifting', title: 'Traffic shifting' },
  { name: 'fault-injection', title: 'Fault injection' },
  { name: 'request-timeouts', title: 'Request timeouts and retries' },
] as const;

export type WizardName = (typeof wizards)[number]['name'];

export interface WizardTarget {
  readonly namespace: string;
  readonly service: string;
}

export interface TrafficShiftingForm {
  /** Subset → weight, as typed (NaN for an empty field). */
  readonly weights: Readonly<Record<string, number>>;
  readonly mirror: { readonly enabled: boolean; readonly subset: string; readonly percentage: number };
}

export interface FaultInjectionForm {
  readonly delay: { readonly enabled: boolean; readonly fixedDelay: string; readonly percentage: number };
  readonly abort: { readonly enabled: boolean; readonly httpStatus: number; readonly percentage: number };
}

export interface RequestTimeoutsForm {
  readonly timeout: { readonly enabled: boolean; readonly value: string };
  readonly retries: {
    readonly enabled: boolean;
    readonly attempts: number;
    readonly perTryTimeout: string;
    readonly retryOn: string;
  };
}

/** Weights that add up to 100: the first subsets get the remainder (3 subsets: 34/33/33). */
export function evenWeights(subsets: readonly string[]): Record<string, number> {
  const share = subsets.length > 0 ? Math.floor(100 / subsets.length) : 0;
  const remainder = 100 - share * subsets.length;
  return Object.fromEntries(subsets.map((subset, i) => [subset, share + (i < remainder ? 1 : 0)]));
}

/** The sum of the weights typed so far (an empty field counts 0). */
export function weightsTotal(weights: Readonly<Record<string, number>>): number {
  return Object.values(weights).reduce((sum, weight) => sum + (Number.isFinite(weight) ? weight : 0), 0);
}

/** What is wrong with the weights, in the API's words (the field first), or undefined. */
export function weightsProblem(weights: Readonly<Record<string, number>>): string | undefined {
  const entries = Object.entries(weights);
  if (entries.length === 0) return 'weights: name at least one subset';
  for (const [subset, weight] of entries)
    if (!Number.isInteger(weight) || weight < 0 || weight > 100)
      return `weights.${subset}: must be an integer from 0 to 100`;
  const total = weightsTotal(weights);
  return total === 100 ? undefined : `weights: must add up to 100 (they add up to ${total})`;
}

export function trafficShiftingRequest(target: WizardTarget, form: TrafficShiftingForm) {
  return {
    namespace: target.namespace,
    service: target.service,
    weights: { ...form.weights },
    ...(form.mirror.enabled
      ? { mirror: { subset: form.mirror.subset, percentage: form.mirror.percentage } }
      : {}),
  };
}

export function faultInjectionRequest(target: WizardTarget, form: FaultInjectionForm) {
  const { delay, abort } = form;
  return {
    namespace: target.namespace,
    service: target.service,
    ...(delay.enabled
      ? { delay: { fixedDelay: delay.fixedDelay.trim(), percentage: delay.percentage } }
      : {}),
    ...(abort.enabled ? { abort: { httpStatus: abort.httpStatus, percentage: abort.percentage } } : {}),
  };
}

export function requestTimeoutsRequest(target: WizardTarget, form: RequestTimeoutsForm) {
  const { timeout, retries } = form;
  const perTryTimeout = retries.perTryTimeout.trim();
  const retryOn = retries.retryOn.trim();
  return {
    namespace: target.namespace,
    service: target.service,
    ...(timeout.enabled ? { timeout: timeout.value.trim() } : {}),
    ...(retries.enabled
      ? {
          retries: {
            attempts: retries.attempts,
            ...(perTryTimeout ? { perTryTimeout } : {}),
            ...(retryOn ? { retryOn } : {}),
          },
        }
      : {}),
  };
}

/**
 * What the page can tell before sending: the weights' sum, and a fault wizard with nothing to
 * inject. The API checks the rest (durations, statuses) and its detail names the field.
 */
export function formProblem(
  wizard: WizardName,
  form: TrafficShiftingForm | FaultInjectionForm | RequestTimeoutsForm,
): string | undefined {
  if (wizard === 'traffic-shifting') return weightsProblem((form as TrafficShiftingForm).weights);
  if (wizard === 'fault-injection') {
    const { delay, abort } = form as FaultInjectionForm;
    if (!delay.enabled && !abort.enabled) return 'delay: give a delay, an abort or both';
  }
  return undefined;
}

/** The file name the applied YAML is offered under. */
export function downloadName(wizard: WizardName, target: WizardTarget): string {
  return `${target.namespace}-${target.service}-${wizard}.yaml`;
}
