/**
 * Which Service ports carry HTTP, as istiod reads them (pkg/config/kube/conversion.go
 * ConvertProtocol, pkg/config/protocol/instance.go Parse, IsHTTP, IsTCP): `appProtocol` when set,
 * else the port name's prefix before `-`.
 */
import type { ServicePort } from '../manifests/model.ts';

/** `http`: HTTP routes apply; `tcp`: a TCP proxy to the Service's endpoints, no HTTP routes. */
export type PortProtocol = 'http' | 'tcp';

const httpNames = new Set(['http', 'http2', 'http_proxy', 'grpc']);
const tcpNames = new Set(['tcp', 'udp', 'https', 'tls', 'mongo', 'redis', 'mysql']);
/** SMTP, DNS, MySQL, MongoDB: TCP when the name says nothing (conversion.go wellKnownPorts). */
const wellKnownTcpPorts = new Set([25, 53, 3306, 27017]);

export function portProtocol(port: ServicePort): PortProtocol {
  const name = (port.appProtocol ?? port.name ?? '').toLowerCase();
  // Kubernetes' standard application protocols, honoured in appProtocol only.
  if (port.appProtocol !== undefined) {
    if (name === 'kubernetes.io/h2c' || name === 'kubernetes.io/ws') return 'http';
    if (name === 'kubernetes.io/wss') return 'tcp';
  }
  if (name.startsWith('grpc-web')) return 'http';
  const dash = name.indexOf('-');
  const prefix = dash === -1 ? name : name.slice(0, dash);
  if (httpNames.has(prefix)) return 'http';
  if (tcpNames.has(prefix)) return 'tcp';
  // Anything else is sniffed by Istio; what reaches a sidecar here is HTTP, so it is read as HTTP.
  return wellKnownTcpPorts.has(port.port) ? 'tcp' : 'http';
}
