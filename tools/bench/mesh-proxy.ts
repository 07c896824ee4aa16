// Child process of tools/bench/mesh.ts: the mesh ingress, started programmatically against the
// benchmark's upstream, alone in its process so that its CPU time can be read from /proc.
// argv: <scenario: plain|weighted|bare> <v1 origin> <v2 origin> <v3 origin> [--no-telemetry]
// [--no-mirror-comparison] [--no-access-log]
// `bare` is no mesh at all: bytes forwarded between bare sockets, the floor of any proxy in one
// Node process on this machine.
// Sends { ready, url, statsUrl } over IPC; exits on 'stop' (so that --cpu-prof writes its profile).
// 'alloc-start' and 'alloc-stop' bracket a run whose allocations V8's sampling heap profiler counts
// (objects already collected included): answered with { allocStarted } and an `Allocations`.
import { Session } from 'node:inspector/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { EndpointRegistry } from '../../mesh/src/endpoints/registry.ts';
import { RoutingState, startIngress } from '../../mesh/src/ingress/server.ts';
import { buildTopology, parseYaml } from '../../mesh/src/manifests/load.ts';
import { compileRoutingTable } from '../../mesh/src/routing/table.ts';
import { startTelemetry } from '../../mesh/src/telemetry/server.ts';

export type Scenario = 'plain' | 'weighted';

const common = `
apiVersion: v1
kind: Service
metadata: { name: upstream, namespace: bench }
spec: { selector: { app: upstream }, ports: [{ name: http, port: 8080 }] }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: bench-gateway, namespace: bench }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
`;

const manifests: Record<Scenario, string> = {
  plain: `${common}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: upstream, namespace: bench }
spec:
  hosts: ["*"]
  gateways: [bench-gateway]
  http:
    - name: upstream
      route: [{ destination: { host: upstream, port: { number: 8080 } } }]
`,
  weighted: `${common}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: upstream, namespace: bench }
spec:
  host: upstream
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
    - { name: v3, labels: { version: v3 } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: upstream, namespace: bench }
spec:
  hosts: ["*"]
  gateways: [bench-gateway]
  http:
    - name: canary
      route:
        - { destination: { host: upstream, subset: v1, port: { number: 8080 } }, weight: 90 }
        - { destination: { host: upstream, subset: v2, port: { number: 8080 } }, weight: 10 }
      mirror: { host: upstream, subset: v3, port: { number: 8080 } }
      mirrorPercentage: { value: 100 }
`,
};

interface RunningProxy {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The one place that knows the data plane's API: topology from YAML, endpoints, ingress. When
 * the ingress API changes, only this function changes.
 */
async function startMeshIngress(scenario: Scenario, origins: readonly string[]): Promise<RunningProxy> {
  const topology = buildTopology(parseYaml(`bench-${scenario}.yaml`, manifests[scenario]));
  const endpoints = new EndpointRegistry(topology.services);
  const versions = scenario === 'plain' ? ['v1'] : ['v1', 'v2', 'v3'];
  versions.forEach((version, i) => {
    endpoints.add({
      name: `upstream-${version}-0`,
      namespace: 'bench',
      origin: origins[i] as string,
      labels: { app: 'upstream', version },
    });
  });
  const table = compileRoutingTable(topology);
  for (const warning of table.warnings) process.stderr.write(`mesh-proxy: ${warning}\n`);
  const ingress = await startIngress({
    port: 0,
    host: '127.0.0.1',
    routing: new RoutingState(table),
    endpoints,
    onRequestEnd: () => {},
  });
  return {
    url: ingress.url,
    close: async () => {
      await ingress.close();
      await endpoints.close();
    },
  };
}

/**
 * The floor: the least any proxy in one Node process does. Bytes go between bare sockets, each
 * client with its own upstream connection; the only HTTP is finding where each request head and
 * each response (Content-Length framed, as the benchmark's upstream answers) ends.
 */
async function startBareProxy(origin: string): Promise<RunningProxy> {
  const { hostname, port } = new URL(origin);
  const endOfHead = Buffer.from('\r\n\r\n');
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ host: hostname, port: Number(port), noDelay: true });
    let answer: Buffer = Buffer.alloc(0);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      answer = answer.length === 0 ? chunk : Buffer.concat([answer, chunk]);
      for (;;) {
        const end = answer.indexOf(endOfHead);
        if (end === -1) return;
        const length = Number(/content-length: *(\d+)/i.exec(answer.toString('latin1', 0, end))?.[1] ?? 0);
        const size = end + 4 + length;
        if (answer.length < size) return;
        client.write(answer.subarray(0, size));
        answer = answer.subarray(size);
      }
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Bytes allocated between start and stop, in all and by the function that allocated them. */
export interface Allocations {
  readonly bytes: number;
  /** The biggest allocators, `[function file:line, bytes]`, biggest first. */
  readonly sites: readonly (readonly [string, number])[];
}

interface SamplingNode {
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly SamplingNode[];
}

/**
 * V8's sampling heap profiler in this process. With collected objects kept in the profile, its
 * sizes add up to what was allocated, not to what is still alive: the figure that GC work and
 * cache misses follow. One sample per 128 bytes on average, so a run of thousands of requests
 * gives the bytes per request within a few per cent.
 */
const allocations = (() => {
  const session = new Session();
  return {
    async start(): Promise<void> {
      session.connect();
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 128,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    },
    async stop(): Promise<Allocations> {
      const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
        profile: { head: SamplingNode };
      };
      session.disconnect();
      const bySite = new Map<string, number>();
      let bytes = 0;
      const visit = (node: SamplingNode): void => {
        if (node.selfSize > 0) {
          const { functionName, url, lineNumber } = node.callFrame;
          const file = url.replace(/^.*\/(node_modules|mesh|tools)\//, '$1/');
          const site = `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
          bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
          bytes += node.selfSize;
        }
        for (const child of node.children) visit(child);
      };
      visit(profile.head);
      const sites = [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 12);
      return { bytes, sites };
    },
  };
})();

const [scenario, ...rest] = process.argv.slice(2);
if (scenario !== 'plain' && scenario !== 'weighted' && scenario !== 'bare') {
  process.stderr.write(
    'usage: mesh-proxy.ts plain|weighted|bare <v1> <v2> <v3> [--no-telemetry] [--no-mirror-comparison] [--no-access-log]\n',
  );
  process.exit(2);
}
const origins = rest.filter((arg) => !arg.startsWith('--'));
const telemetry =
  rest.includes('--no-telemetry') || scenario === 'bare'
    ? undefined
    : await startTelemetry({
        statsPort: 0,
        host: '127.0.0.1',
        accessLog: rest.includes('--no-access-log') ? undefined : () => {},
        compareMirrors: !rest.includes('--no-mirror-comparison'),
      });
const proxy = await (scenario === 'bare'
  ? startBareProxy(origins[0] as string)
  : startMeshIngress(scenario, origins)
).catch((error: Error) => {
  process.stderr.write(`mesh-proxy: ${error.message}\n`);
  process.exit(1);
});
process.send?.({ ready: true, url: proxy.url, statsUrl: telemetry?.url });
process.on('message', async (message) => {
  if (message === 'alloc-start') {
    await allocations.start();
    process.send?.({ allocStarted: true });
    return;
  }
  if (message === 'alloc-stop') {
    process.send?.(await allocations.stop());
    return;
  }
  if (message !== 'stop') return;
  await proxy.close();
  await telemetry?.close();
  process.exit(0);
});
