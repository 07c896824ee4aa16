import { join } from 'node:path';
import { type RuntimeOptions, resolveRuntimeConfig } from './config.ts';
import { type RunningDatabase, startEmbeddedDatabase } from './database/embedded.ts';
import { EndpointRegistry } from './endpoints/registry.ts';
import { StartupAbortedError, StartupTimeoutError } from './errors.ts';
import { formatAccessLog } from './ingress/outcome.ts';
import { type Ingress, RoutingState, startIngress } from './ingress/server.ts';
import { loadOrCreateJwtPrivateKey } from './keys/jwt-signing-key.ts';
import type { Logger } from './log.ts';
import { loadTopology } from './manifests/load.ts';
import type { Deployment, Service } from './manifests/model.ts';
import { serviceFqdn } from './routing/hosts.ts';
import { compileRoutingTable } from './routing/table.ts';
import { planWorkloads, Supervisor } from './workloads/supervisor.ts';

export interface Runtime {
  /** The ingress (`http://127.0.0.1:<port>`); every Service had a ready endpoint when this resolved. */
  readonly url: string;
  readonly databaseUrl: string;
  readonly dataDir: string;
  /** Where PostgreSQL keeps its files, or undefined with an outside DATABASE_URL. */
  readonly databaseDirectory: string | undefined;
  /** Origins (`http://127.0.0.1:<port>`) of a Service's ready endpoints, e.g. to bypass the ingress in benchmarks. */
  endpoints(service: string, namespace?: string): string[];
  /** Stops the ingress, every replica (SIGTERM, then SIGKILL) and the database. Idempotent. */
  stop(): Promise<void>;
}

/** Runs the app from deploy/: database, one process per replica, and the ingress gateway. */
export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const config = resolveRuntimeConfig(options);
  const { log, signal } = config;
  const topology = await loadTopology(config.deployDir);
  const table = compileRoutingTable(topology);
  for (const warning of table.warnings) log.warn(warning);
  const plan = await planWorkloads(topology, config.images, config.repoRoot);

  const cleanups: (() => Promise<void>)[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      for (const cleanup of cleanups.reverse()) {
        await cleanup().catch((error: Error) => log.error(`while stopping: ${error.message}`));
      }
    })();
    return stopped;
  };
  const checkAborted = () => {
    if (signal?.aborted) throw new StartupAbortedError();
  };

  try {
    checkAborted();
    const endpoints = new EndpointRegistry(topology.services);
    cleanups.push(() => endpoints.close());
    const ingress: Ingress = await startIngress({
      port: config.port,
      host: config.host,
      routing: new RoutingState(table),
      endpoints,
      onRequestEnd: (record) => log.info(formatAccessLog(record)),
    });
    cleanups.push(() => ingress.close());

    checkAborted();
    const database = await startDatabase(config.databaseUrl, config.dataDir, config.databasePort, log);
    cleanups.push(() => database.stop());
    registerDatabaseEndpoints(plan.databases, database, endpoints);

    const jwtPrivateKey = await loadOrCreateJwtPrivateKey(join(config.dataDir, 'jwt-private-key.pem'));
    checkAborted();
    const supervisor = new Supervisor({
      plan,
      endpoints,
      values: {
        ingressUrl: ingress.url,
        databaseUrl: database.url,
        jwtPrivateKey,
        logLevel: config.logLevel,
      },
      inheritedEnv: config.inheritedEnv,
      cwd: config.repoRoot,
      log,
      timing: config.timing,
    });
    cleanups.push(() => supervisor.stop());
    await supervisor.start();

    await waitForEndpoints(
      awaitedServices(topology.services, topology.deployments),
      endpoints,
      config.readyTimeoutMs,
      signal,
    );
    return {
      url: ingress.url,
      databaseUrl: database.url,
      dataDir: config.dataDir,
      databaseDirectory: database.directory,
      endpoints: (service, namespace = 'music') =>
        endpoints.endpoints(serviceFqdn(service, namespace)).map((endpoint) => endpoint.origin),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface Database {
  readonly url: string;
  readonly port: number;
  readonly directory: string | undefined;
  stop(): Promise<void>;
}

async function startDatabase(
  outsideUrl: string | undefined,
  dataDir: string,
  port: number | undefined,
  log: Logger,
): Promise<Database> {
  if (outsideUrl !== undefined) {
    const url = new URL(outsideUrl);
    log.info(`database: using DATABASE_URL (${url.hostname}:${url.port || 5432}${url.pathname})`);
    return { url: outsideUrl, port: Number(url.port || 5432), directory: undefined, stop: async () => {} };
  }
  const running: RunningDatabase = await startEmbeddedDatabase({ dataDir, port, database: 'music', log });
  log.info(`database: PostgreSQL ready on 127.0.0.1:${running.port}, data in ${running.directory}`);
  return running;
}

/** The database stands in for the postgres Deployment's pods, so its Service has an endpoint like any other. */
function registerDatabaseEndpoints(
  deployments: readonly Deployment[],
  database: Database,
  endpoints: EndpointRegistry,
) {
  for (const deployment of deployments) {
    endpoints.add({
      name: `${deployment.name}-0`,
      namespace: deployment.namespace,
      origin: `tcp://127.0.0.1:${database.port}`,
      labels: deployment.podLabels,
    });
  }
}

/** Services that select at least one Deployment with replicas; the others could never get an endpoint. */
function awaitedServices(services: readonly Service[], deployments: readonly Deployment[]): string[] {
  return services
    .filter((service) =>
      deployments.some(
        (deployment) =>
          deployment.replicas > 0 &&
          deployment.namespace === service.namespace &&
          Object.keys(service.selector).length > 0 &&
          Object.entries(service.selector).every(([key, value]) => deployment.podLabels[key] === value),
      ),
    )
    .map((service) => serviceFqdn(service.name, service.namespace));
}

function waitForEndpoints(
  services: readonly string[],
  endpoints: EndpointRegistry,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const missing = () => services.filter((service) => endpoints.endpoints(service).length === 0);
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      unsubscribe();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => finish(new StartupAbortedError());
    const unsubscribe = endpoints.onChange(() => {
      if (missing().length === 0) finish();
    });
    const timer = setTimeout(
      () =>
        finish(
          new StartupTimeoutError(
            missing().map((fqdn) => fqdn.split('.')[0] as string),
            timeoutMs,
          ),
        ),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    else if (missing().length === 0) finish();
  });
}
