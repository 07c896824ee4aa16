import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AdminApiError, MeshError } from '../../src/errors.ts';
import type { AdminAuth } from './auth.ts';
import type { ConfigSource, RuntimeControl } from './config-source.ts';
import { controlRoute, notControl } from './control-routes.ts';
import { ConsoleRequestError } from './errors.ts';
import { decorateNodes } from './graph/istio-details.ts';
import { type BoxBy, boxByValues, buildGraph, type GraphType, graphTypes } from './graph/kiali-graph.ts';
import { serviceRouting } from './graph/routing.ts';
import { seriesPoints } from './graph/series.ts';
import { badParameter, dnsLabel, namespacesOf, sendError, sendJson } from './http.ts';
import { isPagePath, type PagesOptions, servePages } from './static.ts';
import type { TrafficWindow } from './telemetry/scraped.ts';
import { accessLogLines, buildTraces, type RequestFeed, type RequestFilter } from './traces.ts';

/** Where the console reads traffic: the runtime's scraped stats now, a cluster's Prometheus next. */
export interface TrafficSource {
  /** Every series' increase over the last `seconds`. */
  window(seconds: number): TrafficWindow | Promise<TrafficWindow>;
  /** The windows of consecutive steps over the last `seconds`, oldest first. */
  steps(seconds: number, stepSeconds: number): TrafficWindow[] | Promise<TrafficWindow[]>;
  /** The largest window the source can answer, seconds. */
  readonly maxWindowSeconds: number;
}

export interface ConsoleAppOptions {
  readonly source: TrafficSource;
  /** The runtime's objects, analysis, explain and apply, for the config and wizard pages. */
  readonly control?: RuntimeControl | undefined;
  /** Checks the admin token that applying a wizard needs, and logs in at the app. */
  readonly auth?: AdminAuth | undefined;
  /** Istio configuration for the nodes' flags (hasVS...); without it the graph has none. */
  readonly config?: ConfigSource | undefined;
  /** The last requests, for traces and access logs (the local runtime only). */
  readonly feed?: RequestFeed | undefined;
  /** Told when the configuration cannot be read: the graph is answered without its flags. */
  readonly onConfigError?: ((error: unknown) => void) | undefined;
  /**
   * Bound beyond loopback: every API call but the login needs a token of the admin role (as
   * the wizards' applies always do), and any Host is answered.
   */
  readonly exposed?: boolean | undefined;
  /** The `Host` names the console answers for (DNS rebinding): its loopback authority. */
  readonly hosts: ReadonlySet<string>;
  /** The console's pages (the built Angular app) and what they are told. */
  readonly pages?: PagesOptions | undefined;
}

/**
 * The console's HTTP API. `GET /api/namespaces/graph` answers Kiali's graph JSON for the same
 * query parameters (kiali/kiali graph/options.go, with its defaults: `graphType=workload`,
 * `duration=10m`, `injectServiceNodes=false`, `responseTime=95`); `/api/traces` and `/api/logs`
 * the last requests as traces (every hop of one request) and access-log lines; `/api/routing`
 * the VirtualService routes and DestinationRule subsets behind a Service.
 */
export function consoleApp(options: ConsoleAppOptions): RequestListener {
  return (req, res) => {
    handle(req, res, options).catch((error: unknown) => sendError(res, error));
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: ConsoleAppOptions): Promise<void> {
  const host = (req.headers.host ?? '').toLowerCase();
  const exposed = options.exposed === true;
  // On loopback only the console's own Host is answered (a DNS-rebinding page gets nothing);
  // bound beyond it, the admin token protects every API call instead.
  if (!exposed && !options.hosts.has(host))
    throw new ConsoleRequestError(
      'HOST_REFUSED',
      421,
      `the console answers only for Host ${[...options.hosts].join(', ')}`,
    );
  const url = new URL(req.url ?? '/', 'http://console.local');
  if (exposed && url.pathname.startsWith('/api/') && url.pathname !== '/api/login') {
    if (!options.auth)
      throw new ConsoleRequestError('NOT_AVAILABLE', 501, 'an exposed console needs the app’s login');
    await options.auth.verify(req.headers.authorization);
  }
  const origins = new Set(exposed ? [`http://${host}`] : [...options.hosts].map((name) => `http://${name}`));
  const answer = await controlRoute(req, url, { control: options.control, auth: options.auth, origins });
  if (answer !== notControl) return sendJson(res, 200, answer);
  if (req.method !== 'GET' && req.method !== 'HEAD')
    throw new ConsoleRequestError('METHOD_NOT_ALLOWED', 405, `${req.method} is not served here (GET only)`);
  if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
  if (isPagePath(url.pathname)) return servePages(req, res, url, options.pages);
  if (url.pathname === '/api/namespaces/graph') {
    const query = graphQuery(url.searchParams, options.source.maxWindowSeconds);
    const [window, config] = await Promise.all([
      options.source.window(query.durationSeconds),
      options.config?.load().catch((error: unknown) => {
        options.onConfigError?.(error);
        return undefined;
      }),
    ]);
    const graph = buildGraph(window, query);
    if (config)
      decorateNodes(
        graph.elements.nodes.map((node) => node.data),
        config,
      );
    return sendJson(res, 200, graph);
  }
  if (url.pathname === '/api/metrics') {
    const query = metricsQuery(url.searchParams, options.source.maxWindowSeconds);
    const windows = await options.source.steps(query.durationSeconds, query.stepSeconds);
    return sendJson(res, 200, { step: query.stepSeconds, points: seriesPoints(windows, query) });
  }
  if (url.pathname === '/api/routing') {
    const namespaces = namespacesOf(url.searchParams);
    const service = url.searchParams.get('service');
    if (service === null || service === '')
      throw badParameter('service', 'is required (a Service name, e.g. back)');
    if (!dnsLabel.test(service)) throw badParameter('service', `"${service}" is not a Service name`);
    if (!options.control)
      throw new ConsoleRequestError(
        'NOT_AVAILABLE',
        501,
        'routing comes from the local runtime’s configuration; this console reads a Prometheus',
      );
    const objects = await options.control.objects().catch((error: unknown) => {
      // The runtime's refusals keep their status; no runtime at all is a bad gateway.
      if (error instanceof AdminApiError)
        throw new ConsoleRequestError(error.code, error.status, error.message);
      if (error instanceof MeshError) throw new ConsoleRequestError(error.code, 502, error.message);
      throw error;
    });
    return sendJson(res, 200, {
      services: namespaces.map((namespace) => serviceRouting(objects, namespace, service)),
    });
  }
  if (url.pathname === '/api/mirrors') {
    const namespaces = namespacesOf(url.searchParams);
    if (!options.feed)
      throw new ConsoleRequestError(
        'NOT_AVAILABLE',
        501,
        'the mirror comparison comes from the local runtime',
      );
    const routes = await options.feed.mirrors().catch((error: unknown) => {
      throw new ConsoleRequestError(
        'RUNTIME_UNREACHABLE',
        502,
        `the runtime's mirrors: ${(error as Error).message}`,
      );
    });
    return sendJson(res, 200, { routes: routes.filter((route) => namespaces.includes(route.namespace)) });
  }
  if (url.pathname === '/api/traces' || url.pathname === '/api/logs') {
    const traces = url.pathname === '/api/traces';
    const filter = requestFilter(url.searchParams, traces ? 20 : 100, traces ? 500 : 2_000);
    if (!options.feed)
      throw new ConsoleRequestError(
        'NOT_AVAILABLE',
        501,
        'traces and access logs come from the local runtime; this console reads a Prometheus',
      );
    const requests = await options.feed.recent().catch((error: unknown) => {
      throw new ConsoleRequestError(
        'RUNTIME_UNREACHABLE',
        502,
        `the runtime's requests: ${(error as Error).message}`,
      );
    });
    return sendJson(
      res,
      200,
      traces ? { traces: buildTraces(requests, filter) } : { lines: accessLogLines(requests, filter) },
    );
  }
  throw new ConsoleRequestError('NOT_FOUND', 404, `nothing at ${url.pathname}`);
}

/** /api/metrics: whose traffic (`source`, `destination` workloads, `service`), over what, by what step. */
function metricsQuery(params: URLSearchParams, maxWindowSeconds: number) {
  const namespaces = namespacesOf(params);
  const [source, destination, service] = ['source', 'destination', 'service'].map((name) => {
    const value = params.get(name) ?? undefined;
    if (value !== undefined && !dnsLabel.test(value)) throw badParameter(name, `"${value}" is not a name`);
    return value;
  });
  if (source === undefined && destination === undefined && service === undefined)
    throw badParameter('destination', 'name a source or destination workload, or a service');
  const durationSeconds = parseDuration(params.get('duration') ?? '5m');
  if (durationSeconds === undefined || durationSeconds > maxWindowSeconds)
    throw badParameter('duration', `must be a duration such as 60s or 5m, at most ${maxWindowSeconds}s`);
  const stepSeconds = parseDuration(params.get('step') ?? '15s');
  if (stepSeconds === undefined || stepSeconds < 5 || durationSeconds / stepSeconds > 120)
    throw badParameter('step', 'must be at least 5s and give at most 120 points');
  return { namespaces, source, destination, service, durationSeconds, stepSeconds };
}

/** `namespaces` (required), `workload` and `limit` of /api/traces and /api/logs. */
function requestFilter(params: URLSearchParams, defaultLimit: number, maxLimit: number): RequestFilter {
  const namespaces = namespacesOf(params);
  const workload = params.get('workload') ?? undefined;
  if (workload !== undefined && !dnsLabel.test(workload))
    throw badParameter('workload', `"${workload}" is not a workload name`);
  const limit = Number(params.get('limit') ?? defaultLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit)
    throw badParameter('limit', `must be an integer from 1 to ${maxLimit}`);
  return { namespaces, workload, limit };
}

interface GraphQuery {
  readonly namespaces: readonly string[];
  readonly graphType: GraphType;
  readonly durationSeconds: number;
  readonly injectServiceNodes: boolean;
  readonly responseTimePercentile: number;
  readonly throughput: 'request' | 'response' | undefined;
  readonly boxBy: readonly BoxBy[];
}

function graphQuery(params: URLSearchParams, maxWindowSeconds: number): GraphQuery {
  const namespaces = namespacesOf(params);
  const graphType = (params.get('graphType') ?? 'workload') as GraphType;
  if (!graphTypes.includes(graphType))
    throw badParameter('graphType', `must be one of ${graphTypes.join(', ')}`);
  const durationSeconds = parseDuration(params.get('duration') ?? '10m');
  if (durationSeconds === undefined)
    throw badParameter('duration', 'must be a duration such as 60s, 5m or 1h');
  if (durationSeconds > maxWindowSeconds)
    throw badParameter('duration', `must be at most ${maxWindowSeconds}s (the traffic the console keeps)`);
  const inject = params.get('injectServiceNodes') ?? 'false';
  if (inject !== 'true' && inject !== 'false')
    throw badParameter('injectServiceNodes', 'must be true or false');
  const responseTime = params.get('responseTime') ?? '95';
  const percentile = Number(responseTime);
  if (!['50', '95', '99'].includes(responseTime)) throw badParameter('responseTime', 'must be 50, 95 or 99');
  // Kiali runs every appender when `appenders` is not given, else those it names.
  const appenders = params.get('appenders');
  const throughputType = params.get('throughputType') ?? 'response';
  if (throughputType !== 'request' && throughputType !== 'response')
    throw badParameter('throughputType', 'must be request or response');
  const throughput =
    appenders === null || appenders.split(',').some((name) => name.trim() === 'throughput')
      ? throughputType
      : undefined;
  const boxBy = (params.get('boxBy') ?? 'none').split(',').map((box) => box.trim());
  for (const box of boxBy)
    if (box !== 'none' && !(boxByValues as readonly string[]).includes(box))
      throw badParameter('boxBy', `must be app, namespace, cluster or none, comma-separated (got ${box})`);
  return {
    namespaces,
    graphType,
    boxBy: boxBy.filter((box): box is BoxBy => box !== 'none'),
    durationSeconds,
    injectServiceNodes: inject === 'true',
    responseTimePercentile: percentile,
    throughput,
  };
}

/** Prometheus' duration syntax as Kiali takes it: `60s`, `5m`, `1h`, `1m30s`. */
function parseDuration(text: string): number | undefined {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === '') return undefined;
  const seconds = Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  return seconds > 0 ? seconds : undefined;
}
