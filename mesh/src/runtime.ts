import { defaultProfileFile, type RuntimeOptions, resolveRuntimeConfig } from './config.ts';
import { type AdminServer, type Explain, startAdmin } from './control/admin.ts';
import { outboundListeners, type StartListener } from './control/outbound.ts';
import { type ChangeResult, ControlPlane } from './control/plane.ts';
import { AppliedState, restoreApplied } from './control/state.ts';
import { DatabaseOnDemand } from './database/on-demand.ts';
import { EndpointRegistry } from './endpoints/registry.ts';
import { StartupAbortedError, StartupTimeoutError } from './errors.ts';
import { type Ingress, type IngressListener, RoutingState, startIngress } from './ingress/server.ts';
import { loadGeneratedValues } from './keys/generated.ts';
import { type Logger, silentLogger } from './log.ts';
import type { FieldReader } from './manifests/fields.ts';
import { buildTopology, loadFolders, parseYaml } from './manifests/load.ts';
import type { Deployment, Service } from './manifests/model.ts';
import { readerOf, resourceKey } from './manifests/resources.ts';
import { isPortFree } from './net/ports.ts';
import { explainRequest } from './proxy/explain.ts';
import { startListener } from './proxy/listener.ts';
import { serviceFqdn } from './routing/hosts.ts';
import { compileRoutingTable, type RoutingTable } from './routing/table.ts';
import { startTelemetry, type Telemetry } from './telemetry/server.ts';
import { loadProfile } from './workloads/profile.ts';
import { Reaper } from './workloads/reaper.ts';
import { type PodStatus, planWorkloads, Supervisor } from './workloads/supervisor.ts';

/** What only code can pass: the data plane's pieces the control plane wires in. */
export interface StartRuntimeOptions extends RuntimeOptions {
  /**
   * The data plane's outbound listener. With it every Deployment gets one, its replicas get it as
   * HTTP_PROXY, and cluster URLs (`http://back:8080`) are no longer replaced by local ones.
   */
  readonly startListener?: StartListener | undefined;
  /** The data plane's `explainRequest`, for `mesh explain`. */
  readonly explain?: Explain<RoutingTable> | undefined;
  /** Forget what was applied before (`<dataDir>/applied.json`) and start from deploy/ alone. */
  readonly reset?: boolean | undefined;
}

export interface Runtime {
  /** The ingress (`http://127.0.0.1:<port>`); every Service had a ready endpoint when this resolved. */
  readonly url: string;
  /** Undefined while no workload has needed the database (none is started until one does). */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Where PostgreSQL keeps its files; undefined with an outside DATABASE_URL or no database. */
  readonly databaseDirectory: string | undefined;
  /** The admin API (`http://127.0.0.1:<port>`), also written to `<dataDir>/admin.json`. */
  readonly adminUrl: string;
  /** Istio's standard metrics in Prometheus text (`http://127.0.0.1:15090/stats/prometheus`). */
  readonly statsUrl: string;
  /** Every Gateway port the ingress listens on (80 always): 443 → `https://127.0.0.1:8443` by default. */
  gatewayListeners(): readonly IngressListener[];
  /** `mesh apply` without the CLI: YAML text, all documents or none; kept across restarts. */
  apply(file: string, yaml: string): Promise<ChangeResult[]>;
  /** What `mesh get pods` shows: every replica and the database, with readiness and restarts. */
  pods(): PodStatus[];
  /** Origins (`http://127.0.0.1:<port>`) of a Service's ready endpoints, e.g. to bypass the ingress in benchmarks. */
  endpoints(service: string, namespace?: string): string[];
  /** Stops the ingress, every replica (SIGTERM, then SIGKILL) and the database. Idempotent. */
  stop(): Promise<void>;
}

/** The Secrets and ConfigMaps of the saved state that `documents` do not define again. */
async function savedEnvObjects(
  dataDir: string,
  documents: readonly FieldReader[],
  reset: boolean | undefined,
): Promise<FieldReader[]> {
  if (reset) return [];
  const defined = new Set(
    documents.map((doc) => {
      const record = (doc.value ?? {}) as {
        kind?: unknown;
        metadata?: { name?: unknown; namespace?: unknown };
      };
      return `${record.kind}/${record.metadata?.namespace ?? 'default'}/${record.metadata?.name}`;
    }),
  );
  const saved = await new AppliedState(dataDir, silentLogger).peek();
  return saved
    .filter(
      (resource) =>
        (resource.kind === 'Secret' || resource.kind === 'ConfigMap') && !defined.has(resourceKey(resource)),
    )
    .map(readerOf);
}

/**
 * Runs an app from its local profile (Music's by default): one process per replica, the ingress
 * gateway, and PostgreSQL when a workload needs it.
 */
export async function startRuntime(options: StartRuntimeOptions = {}): Promise<Runtime> {
  const given = options.profile ?? defaultProfileFile;
  const profile = typeof given === 'string' ? await loadProfile(given) : given;
  const config = resolveRuntimeConfig(options, profile);
  const { log, signal } = config;
  const documents = await loadFolders(profile.manifests, process.cwd());
  // Checked before anything starts; the control plane checks it all again when it applies it.
  // Secrets and ConfigMaps applied in an earlier run are restored too: deploy/'s Deployments may read them.
  const topology = buildTopology([
    ...documents,
    ...(await savedEnvObjects(config.dataDir, documents, options.reset)),
  ]);
  for (const warning of compileRoutingTable(topology).warnings) log.debug(warning);
  await planWorkloads(topology, { profile, path: config.inheritedEnv.PATH });

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
    // First started, last stopped: if the runtime dies, it kills what is still running.
    const reaper = new Reaper();
    cleanups.push(() => reaper.close());
    const endpoints = new EndpointRegistry([]);
    cleanups.push(() => endpoints.close());
    // Telemetry subscribes to the data path's request channel: metrics and the access log.
    const telemetry = await startStats(config.statsPort, config.statsPortStrict, log);
    cleanups.push(() => telemetry.close());
    const routing = new RoutingState(compileRoutingTable(buildTopology([])));
    const ingress: Ingress = await startIngress({
      port: config.port,
      host: config.host,
      routing,
      endpoints,
      log,
    });
    cleanups.push(() => ingress.close());

    checkAborted();
    // Started by the first workload that needs it, while the manifests are applied.
    const database = new DatabaseOnDemand({
      outsideUrl: config.databaseUrl,
      dataDir: config.dataDir,
      port: config.databasePort,
      // Without a database section no workload can need one (the profile is checked for it).
      name: profile.database?.name ?? 'postgres',
      log,
      watch: reaper,
    });
    cleanups.push(() => database.stop());

    const generated = await loadGeneratedValues(profile, config.dataDir);
    checkAborted();
    // The one switch between cluster URLs through the mesh and local replacements (local-env.ts).
    const startOutbound: StartListener | undefined =
      options.startListener ?? (config.meshOutbound ? startListener : undefined);
    const outbound = startOutbound ? outboundListeners(startOutbound, routing, endpoints) : undefined;
    if (outbound) cleanups.push(() => outbound.closeAll());
    const supervisor = new Supervisor({
      profile,
      endpoints,
      database,
      watch: reaper,
      values: {
        ingressUrl: ingress.url,
        statsUrl: telemetry.url,
        logLevel: config.logLevel,
        generated,
      },
      inheritedEnv: config.inheritedEnv,
      log,
      timing: config.timing,
      outbound,
      rolloutTimeoutMs: config.rolloutTimeoutMs,
    });
    cleanups.push(() => supervisor.stop());
    const applied = new AppliedState(config.dataDir, log);
    const plane = new ControlPlane<RoutingTable>({
      compile: (objects) => compileRoutingTable(objects),
      install: (table) => {
        routing.replace(table);
        // Gateway ports come and go with the Gateways; Secrets change certificates.
        void ingress.sync();
      },
      workloads: supervisor,
      services: endpoints,
      log,
      save: (objects) => applied.save(objects),
    });
    await restoreApplied(plane, applied, documents, { reset: options.reset ?? false, log });
    await ingress.sync();

    const admin: AdminServer = await startAdmin(
      {
        port: config.adminPort,
        host: '127.0.0.1',
        dataDir: config.dataDir,
        strictPort: config.adminPortStrict,
      },
      {
        plane,
        workloads: supervisor,
        endpoints: (fqdn) => endpoints.endpoints(fqdn).map((endpoint) => endpoint.origin),
        explain:
          options.explain ??
          ((table, request) =>
            explainRequest(table, {
              context: request.from
                ? {
                    kind: 'mesh',
                    source: {
                      workload: request.from.name,
                      namespace: request.from.namespace,
                      app: request.from.labels.app ?? request.from.name,
                      version: request.from.labels.version ?? 'unknown',
                    },
                    labels: request.from.labels,
                  }
                : { kind: 'gateway' },
              url: request.url,
              method: request.method,
              headers: request.headers,
              endpoints,
              gatewayListeners: ingress.listeners(),
            })),
        info: { ingress: ingress.url, dataDir: config.dataDir, namespace: profile.namespace },
        log,
      },
    );
    cleanups.push(() => admin.close());

    await waitForEndpoints(
      awaitedServices(topology.services, topology.deployments),
      endpoints,
      config.readyTimeoutMs,
      signal,
    );
    return {
      url: ingress.url,
      get databaseUrl() {
        return database.url;
      },
      dataDir: config.dataDir,
      get databaseDirectory() {
        return database.directory;
      },
      adminUrl: admin.url,
      statsUrl: telemetry.url,
      gatewayListeners: () => ingress.listeners(),
      apply: (file, yaml) => plane.apply(parseYaml(file, yaml)),
      pods: () => supervisor.pods(),
      endpoints: (service, namespace = profile.namespace) =>
        endpoints.endpoints(serviceFqdn(service, namespace)).map((endpoint) => endpoint.origin),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startStats(port: number, strict: boolean, log: Logger): Promise<Telemetry> {
  let chosen = port;
  if (port !== 0 && !strict && !(await isPortFree(port, '127.0.0.1'))) {
    log.warn(`stats port ${port} is in use; using a free port`);
    chosen = 0;
  }
  const telemetry = await startTelemetry({
    statsPort: chosen,
    host: '127.0.0.1',
    accessLog: (line) => log.info(line),
  });
  log.info(`telemetry: Istio metrics at ${telemetry.url}`);
  return telemetry;
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
