/** Which VirtualServices a client sees, and in what order (pilot/pkg/model/push_context.go). */
import type { VirtualService } from '../manifests/model.ts';
import { resolveGatewayRef } from './hosts.ts';

/**
 * The VirtualServices a proxy of `clientNamespace` sees, in Istio's order (`VirtualServicesForGateway`,
 * `SelectVirtualServices`): those private to its namespace, then those exported to it by name, then
 * the public ones, each group oldest first. `sorted` must already be oldest first. Delegates (no
 * hosts) are not among them.
 */
export function visibleVirtualServices(
  sorted: readonly VirtualService[],
  clientNamespace: string,
): VirtualService[] {
  const groups: VirtualService[][] = [[], [], []];
  for (const vs of sorted) {
    if (vs.hosts.length === 0) continue;
    const rank = visibility(vs, clientNamespace);
    if (rank !== undefined) groups[rank]?.push(vs);
  }
  return groups.flat();
}

/** Those of `visibleVirtualServices` bound to `gateway`: `mesh`, or a Gateway's `namespace/name`. */
export function virtualServicesFor(
  sorted: readonly VirtualService[],
  clientNamespace: string,
  gateway: string,
): VirtualService[] {
  return visibleVirtualServices(sorted, clientNamespace).filter((vs) => bindsTo(vs, gateway));
}

export function bindsTo(vs: VirtualService, gateway: string): boolean {
  return vs.gateways.some((ref) => resolveGatewayRef(ref, vs.namespace) === gateway);
}

/** 0 private, 1 exported to the client's namespace by name, 2 public; undefined: not visible. */
function visibility(vs: VirtualService, clientNamespace: string): number | undefined {
  // The mesh default for VirtualServices is exportTo `*`; `.` is the VirtualService's namespace.
  const exportTo = vs.exportTo.map((entry) => (entry === '.' ? vs.namespace : entry));
  if (exportTo.length === 0 || exportTo.includes('*')) return 2;
  if (!exportTo.includes(clientNamespace)) return undefined;
  return clientNamespace === vs.namespace ? 0 : 1;
}
