import { request as httpsRequest } from 'node:https';
import { EndpointRegistry } from '../../src/endpoints/registry.ts';
import { type Ingress, RoutingState, startIngress } from '../../src/ingress/server.ts';
import { buildTopology, parseYaml } from '../../src/manifests/load.ts';
import { selfSignedCertificate, type TestCertificate, tlsSecret } from './certificates.ts';
import { compile, services, startUpstream, type Upstream } from './mesh-harness.ts';

export interface HttpsIngress {
  readonly ingress: Ingress;
  /** `https://127.0.0.1:<port>` of Gateway port 443. */
  readonly url: string;
  readonly port: number;
  readonly servername: string;
  readonly certificate: TestCertificate;
  /** A GET of `/echo` with the certificate verified: its status. */
  goodRequest(): Promise<number>;
  close(): Promise<void>;
}

/**
 * An ingress whose Gateway port 443 terminates TLS (SIMPLE, a Secret's certificate for
 * `servername`) in front of an upstream that reads any body and answers 200.
 */
export async function startHttpsIngress(servername = 'music.example.com'): Promise<HttpsIngress> {
  const certificate = selfSignedCertificate([servername]);
  const upstream: Upstream = await startUpstream('echo', (req, res) => {
    req.on('error', () => {});
    req.resume();
    req.on('end', () => res.end('{"ok":true}'));
  });
  const yaml = `${services('echo')}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: secure, namespace: music }
spec:
  selector: { istio: ingressgateway }
  servers:
    - port: { number: 443, name: https, protocol: HTTPS }
      hosts: [${servername}]
      tls: { mode: SIMPLE, credentialName: music-cert }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: site, namespace: music }
spec:
  hosts: [${servername}]
  gateways: [secure]
  http: [{ route: [{ destination: { host: echo } }] }]
---
${tlsSecret('music-cert', 'istio-system', certificate)}`;
  const endpoints = new EndpointRegistry(buildTopology(parseYaml('https.yaml', yaml)).services);
  endpoints.add({ name: 'echo-0', namespace: 'music', origin: upstream.origin, labels: { app: 'echo' } });
  const ingress = await startIngress({
    port: 0,
    host: '127.0.0.1',
    routing: new RoutingState(compile(yaml)),
    endpoints,
    log: { info: () => {}, warn: () => {} },
  });
  const url = ingress.listeners().find((listener) => listener.gatewayPort === 443)?.url;
  if (url === undefined) throw new Error('no listener for Gateway port 443');
  return {
    ingress,
    url,
    port: Number(new URL(url).port),
    servername,
    certificate,
    goodRequest: () =>
      new Promise((resolve, reject) => {
        const req = httpsRequest(
          `${url}/echo`,
          { agent: false, ca: certificate.cert, servername, headers: { host: servername } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      }),
    close: async () => {
      await ingress.close();
      await endpoints.close();
      await upstream.close();
    },
  };
}
