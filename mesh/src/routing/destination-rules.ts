/**
 * Which DestinationRule a client sees for a Service, as Istio 1.30 consolidates them
 * (pilot/pkg/model/push_context.go `setDestinationRules`, `destinationRule`;
 * pilot/pkg/model/destination_rule.go `mergeDestinationRule`).
 */
import type { DestinationRule, Subset, TrafficPolicy } from '../manifests/model.ts';
import { hostCovers, resolveServiceHost } from './hosts.ts';
import { byCreation } from './order.ts';

/** Istio's config root namespace (meshconfig `rootNamespace`), where the ingress gateway also lives. */
export const rootNamespace = 'istio-system';

/** Several DestinationRules of one namespace for one host, merged: what a client gets. */
export interface ConsolidatedRule {
  /** Resolved host: an FQDN or a wildcard. */
  readonly host: string;
  readonly namespace: string;
  /** `namespace/name` of every rule merged in, oldest first; the first one names the rule. */
  readonly from: readonly string[];
  /** From the oldest rule that has one, taken whole. */
  readonly trafficPolicy: TrafficPolicy | undefined;
  /** Concatenated oldest first; a later subset with a name already taken is dropped. */
  readonly subsets: readonly Subset[];
}

export interface DestinationRuleIndex {
  /** The rule a client in `clientNamespace` applies to `service` (an FQDN) of `serviceNamespace`. */
  find(clientNamespace: string, service: string, serviceNamespace: string): ConsolidatedRule | undefined;
}

interface Entry {
  rule: ConsolidatedRule;
  /** As written, `.` kept: rules with different exportTo are not merged (ENABLE_ENHANCED_DESTINATIONRULE_MERGE). */
  readonly exportTo: ReadonlySet<string>;
}

/** Rules by resolved host, each host's list in the order Istio keeps them. */
type HostRules = Map<string, Entry[]>;

export function indexDestinationRules(
  rules: readonly DestinationRule[],
  warnings: string[],
): DestinationRuleIndex {
  const namespaceLocal = new Map<string, HostRules>();
  const exported = new Map<string, HostRules>();
  const rootLocal: HostRules = new Map();
  const into = (index: Map<string, HostRules>, namespace: string): HostRules => {
    let rulesByHost = index.get(namespace);
    if (!rulesByHost) {
      rulesByHost = new Map();
      index.set(namespace, rulesByHost);
    }
    return rulesByHost;
  };
  // Oldest first, so that the oldest rule's traffic policy is the one kept.
  for (const dr of byCreation(rules)) {
    const exportTo = new Set(dr.exportTo);
    const ns = dr.namespace;
    if (exportTo.size === 0 || exportTo.has('*') || exportTo.has('.') || exportTo.has(ns))
      merge(into(namespaceLocal, ns), dr, exportTo, warnings);
    // The mesh default for DestinationRules is exportTo `*`.
    const privateOnly = exportTo.size === 1 && (exportTo.has('.') || exportTo.has(ns));
    if (!privateOnly) merge(into(exported, ns), dr, exportTo, warnings);
    else if (ns === rootNamespace) merge(rootLocal, dr, exportTo, warnings);
  }

  return Object.freeze({
    find(clientNamespace: string, service: string, serviceNamespace: string) {
      // 1. The client's own namespace (for the root namespace, its private rules only).
      const local = clientNamespace === rootNamespace ? rootLocal : namespaceLocal.get(clientNamespace);
      const own = local && mostSpecific(local, service);
      if (own) return last(own);
      // 2. Rules the Service's namespace exports to the client, then 3. those of the root namespace.
      for (const namespace of [serviceNamespace, rootNamespace]) {
        const found = exported.get(namespace);
        const candidates = found && mostSpecific(found, service);
        const visible = candidates?.filter(
          (entry) =>
            entry.exportTo.size === 0 || entry.exportTo.has('*') || entry.exportTo.has(clientNamespace),
        );
        if (visible && visible.length > 0) return last(visible);
      }
      return undefined;
    },
  });
}

/**
 * Without workload selectors, a sidecar takes the last rule of the list (SidecarScope.DestinationRule):
 * the merged one, or the last rule that could not be merged because its exportTo differs.
 */
function last(entries: readonly Entry[]): ConsolidatedRule {
  return (entries[entries.length - 1] as Entry).rule;
}

/** `mergeDestinationRule`, for rules without workloadSelector (which the runtime refuses). */
function merge(
  rulesByHost: HostRules,
  dr: DestinationRule,
  exportTo: ReadonlySet<string>,
  warnings: string[],
) {
  const host = resolveRuleHost(dr);
  const name = `${dr.namespace}/${dr.name}`;
  const entries = rulesByHost.get(host);
  const fresh: Entry = {
    exportTo,
    rule: Object.freeze({
      host,
      namespace: dr.namespace,
      from: Object.freeze([name]),
      trafficPolicy: dr.trafficPolicy,
      subsets: dr.subsets,
    }),
  };
  if (!entries) {
    rulesByHost.set(host, [fresh]);
    return;
  }
  let appendSeparately = true;
  for (const entry of entries) {
    if (sameSet(exportTo, entry.exportTo)) appendSeparately = false;
    else if (entry.exportTo.size > 0 && isSuperset(exportTo, entry.exportTo)) appendSeparately = false;
    else {
      appendSeparately = true;
      continue;
    }
    const merged = entry.rule;
    const taken = new Set(merged.subsets.map((subset) => subset.name));
    const subsets = [...merged.subsets];
    for (const subset of dr.subsets) {
      if (taken.has(subset.name)) {
        warnings.push(
          `${dr.file}: Duplicate subset ${subset.name} found while merging destination rules for ${host} (DestinationRule ${name}; the one of ${merged.from[0]} is kept)`,
        );
      } else subsets.push(subset);
    }
    entry.rule = Object.freeze({
      ...merged,
      from: Object.freeze([...merged.from, name]),
      trafficPolicy: merged.trafficPolicy ?? dr.trafficPolicy,
      subsets: Object.freeze(subsets),
    });
    if (merged.trafficPolicy && dr.trafficPolicy) {
      warnings.push(
        `${dr.file}: the trafficPolicy of DestinationRule ${name} is ignored: ${merged.from[0]}, older, also sets one for ${host}`,
      );
    }
  }
  if (appendSeparately) entries.push(fresh);
}

/** `back` in the rule's namespace; `*` and hosts with dots as written (ResolveShortnameToFQDN). */
function resolveRuleHost(dr: DestinationRule): string {
  return dr.host === '*' ? '*' : resolveServiceHost(dr.host, dr.namespace);
}

/** MostSpecificHostMatch: the exact host, else the longest wildcard covering it. */
function mostSpecific(rulesByHost: HostRules, service: string): Entry[] | undefined {
  const exact = rulesByHost.get(service);
  if (exact) return exact;
  let best: string | undefined;
  for (const host of rulesByHost.keys()) {
    if (!host.startsWith('*') || !hostCovers(host, service)) continue;
    if (best === undefined || host.length > best.length || (host.length === best.length && host < best))
      best = host;
  }
  return best === undefined ? undefined : rulesByHost.get(best);
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && isSuperset(a, b);
}

function isSuperset(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const item of b) if (!a.has(item)) return false;
  return true;
}
