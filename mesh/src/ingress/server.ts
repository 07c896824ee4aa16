import type { EndpointRegistry } from '../endpoints/registry.ts';
import { type Listener, startListener } from '../proxy/listener.ts';
import type { RoutingState } from '../routing/state.ts';
import type { RequestRecord } from '../telemetry/record.ts';

export { RoutingState } from '../routing/state.ts';

export interface IngressOptions {
  readonly port: number;
  readonly host: string;
  readonly routing: RoutingState;
  readonly endpoints: EndpointRegistry;
  /** Called with every finished request; leave it out to pay for records only when telemetry subscribes. */
  readonly onRequestEnd?: ((record: RequestRecord) => void) | undefined;
}

export type Ingress = Listener;

/** The local ingress gateway: serves Gateway port 80 and routes per the bound VirtualServices. */
export function startIngress(options: IngressOptions): Promise<Ingress> {
  return startListener({ ...options, context: { kind: 'gateway' } });
}
