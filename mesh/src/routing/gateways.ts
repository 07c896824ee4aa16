/** Which Gateway servers the local ingress plays, and which VirtualService hosts bind to them. */
import type { Gateway, VirtualService } from '../manifests/model.ts';
import { gatewayServerHost, intersectHosts, resolveGatewayRef } from './hosts.ts';

export interface IngressBinding {
  /** Pod labels of the local ingress gateway, matched against each Gateway's selector. */
  readonly labels: Readonly<Record<string, string>>;
  /** The Gateway server port the ingress plays (80 in the tutorial). */
  readonly port: number;
}

export const defaultIngressBinding: IngressBinding = Object.freeze({
  labels: Object.freeze({ istio: 'ingressgateway' }),
  port: 80,
});

const httpProtocols = new Set(['HTTP', 'HTTP2']);

/** Host patterns of the HTTP servers, on the ingress port, of Gateways selecting the ingress; by gateway ref. */
export function servedGatewayHosts(
  gateways: readonly Gateway[],
  binding: IngressBinding,
): Map<string, string[]> {
  const served = new Map<string, string[]>();
  for (const gateway of gateways) {
    const selects = Object.entries(gateway.selector).every(([key, value]) => binding.labels[key] === value);
    if (!selects) continue;
    const hosts = gateway.servers
      .filter((server) => server.port.number === binding.port && httpProtocols.has(server.port.protocol))
      .flatMap((server) => server.hosts.map(gatewayServerHost));
    if (hosts.length > 0) served.set(`${gateway.namespace}/${gateway.name}`, hosts);
  }
  return served;
}

export function boundHosts(vs: VirtualService, gatewayHosts: Map<string, string[]>): string[] {
  const hosts = new Set<string>();
  for (const ref of vs.gateways) {
    const serverHosts = gatewayHosts.get(resolveGatewayRef(ref, vs.namespace));
    if (!serverHosts) continue;
    for (const vsHost of vs.hosts) {
      for (const serverHost of serverHosts) {
        const host = intersectHosts(vsHost.toLowerCase(), serverHost);
        if (host !== undefined) hosts.add(host);
      }
    }
  }
  return [...hosts];
}
