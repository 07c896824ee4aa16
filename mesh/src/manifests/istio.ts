import { isIP } from 'node:net';
import { type FieldReader, notImplementedYet as notYet, uint32Max } from './fields.ts';
import type {
  ConnectionPool,
  Destination,
  DestinationRule,
  Gateway,
  GatewayServer,
  HeaderOperations,
  Headers,
  HttpDirectResponse,
  HttpFault,
  HttpMatchRequest,
  HttpMirror,
  HttpRedirect,
  HttpRetry,
  HttpRewrite,
  HttpRoute,
  HttpRouteDestination,
  LoadBalancerPolicy,
  OutlierDetection,
  ServerTls,
  Source,
  StringMatch,
  Subset,
  TrafficPolicy,
  ValueMatch,
  VirtualService,
} from './model.ts';
import { checkRe2 } from './re2.ts';

/** The `networking.istio.io` versions Istio 1.30 serves for Gateway, VirtualService and DestinationRule. */
export const istioNetworkingVersions: readonly string[] = Object.freeze([
  'networking.istio.io/v1',
  'networking.istio.io/v1beta1',
  'networking.istio.io/v1alpha3',
]);

/** Throws unless `apiVersion` is one Istio serves for the networking kinds. */
export function checkIstioApiVersion(doc: FieldReader, apiVersion: string): void {
  if (!istioNetworkingVersions.includes(apiVersion)) {
    throw doc.error(`must be one of ${istioNetworkingVersions.join(', ')}`, 'apiVersion');
  }
}

/** Server protocols the local ingress serves: plain HTTP/1.1 (HTTP2 accepted as HTTP), and HTTPS. */
const gatewayProtocols: readonly string[] = ['HTTP', 'HTTP2', 'HTTPS'];
const tlsModes: readonly string[] = [
  'PASSTHROUGH',
  'SIMPLE',
  'MUTUAL',
  'AUTO_PASSTHROUGH',
  'ISTIO_MUTUAL',
  'OPTIONAL_MUTUAL',
];

/** A Gateway, with the checks of Istio's ValidateGateway (pkg/config/validation/validation.go) it relies on. */
export function parseGateway(doc: FieldReader, source: Source): Gateway {
  const spec = doc.child('spec');
  const portNames = new Set<string>();
  const servers = spec.items('servers', (server): GatewayServer => {
    server.only(['port', 'hosts', 'name', 'bind', 'tls'], ['defaultEndpoint']);
    const port = server.child('port');
    port.only(['number', 'name', 'protocol'], ['targetPort']);
    const name = port.optionalString('name') ?? '';
    const protocol = port.string('protocol').toUpperCase();
    if (!gatewayProtocols.includes(protocol))
      throw port.notImplemented(
        `protocol ${protocol} ${notYet} (supported: HTTP, HTTP2, HTTPS)`,
        `${port.path}.protocol`,
      );
    if (name !== '' && portNames.has(name))
      throw port.error(`port names in servers must be unique: duplicate name ${name}`, `${port.path}.name`);
    portNames.add(name);
    const hosts = server.stringList('hosts');
    if (hosts.length === 0)
      throw server.error('server config must contain at least one host', `${server.path}.hosts`);
    for (const [index, host] of hosts.entries())
      checkServerHost(server, host, `${server.path}.hosts[${index}]`);
    const tls = server.has('tls') ? parseServerTls(server.child('tls'), protocol) : undefined;
    if (protocol === 'HTTPS' && !tls)
      throw server.error('server must have TLS settings for HTTPS/TLS protocols', `${server.path}.tls`);
    return Object.freeze({
      port: Object.freeze({ number: port.port('number'), name, protocol }),
      hosts: Object.freeze(hosts),
      name: server.optionalString('name'),
      tls,
    });
  });
  if (spec.optionalList('servers').length === 0)
    throw spec.error('gateway must have at least one server', `${spec.path}.servers`);
  return Object.freeze({ kind: 'Gateway', ...source, selector: spec.labels('selector'), servers });
}

/** `host` or `namespace/host`; the namespace `.`, `*` or a DNS label (`~` only in Gateway API conversions). */
function checkServerHost(server: FieldReader, host: string, path: string): void {
  const slash = host.indexOf('/');
  if (slash === -1) return;
  const namespace = host.slice(0, slash);
  if (namespace === '' || host.length === slash + 1)
    throw server.error('config namespace and dnsName in host entry cannot be empty', path);
  if (namespace !== '.' && namespace !== '*' && !dns1123Label.test(namespace))
    throw server.error(`invalid namespace value "${namespace}" in gateway`, path);
}

/** SIMPLE with a credentialName on HTTPS, or only httpsRedirect on HTTP; anything else by name. */
function parseServerTls(tls: FieldReader, protocol: string): ServerTls {
  tls.only(
    ['httpsRedirect', 'mode', 'credentialName'],
    [
      'caCertCredentialName',
      'caCertificates',
      'caCrl',
      'cipherSuites',
      'credentialNames',
      'ecdhCurves',
      'insecureSkipVerify',
      'maxProtocolVersion',
      'minProtocolVersion',
      'privateKey',
      'serverCertificate',
      'subjectAltNames',
      'tlsCertificates',
      'verifyCertificateHash',
      'verifyCertificateSpki',
    ],
  );
  const redirect = tls.has('httpsRedirect') ? tls.child('httpsRedirect').value : false;
  if (typeof redirect !== 'boolean') throw tls.error('must be true or false', `${tls.path}.httpsRedirect`);
  const mode = tls.optionalString('mode');
  if (mode !== undefined && !tlsModes.includes(mode))
    throw tls.error(`must be one of ${tlsModes.join(', ')}`, `${tls.path}.mode`);
  if (protocol !== 'HTTPS') {
    if ((mode !== undefined && mode !== 'PASSTHROUGH') || tls.has('credentialName'))
      throw tls.error('server cannot have TLS settings for plain text HTTP ports', tls.path);
    return Object.freeze({ httpsRedirect: redirect, mode: undefined, credentialName: undefined });
  }
  if (mode !== 'SIMPLE') {
    throw tls.notImplemented(
      mode === undefined
        ? 'is PASSTHROUGH when omitted, which the local runtime does not support yet: write mode: SIMPLE'
        : `mode ${mode} ${notYet} (SIMPLE is)`,
      `${tls.path}.mode`,
    );
  }
  let credentialName = tls.optionalString('credentialName');
  if (credentialName === undefined)
    throw tls.notImplemented(
      'SIMPLE needs a credentialName here (certificate files are not supported locally)',
      `${tls.path}.credentialName`,
    );
  const scheme = credentialName.indexOf('://');
  if (scheme !== -1) {
    if (!credentialName.startsWith('kubernetes://'))
      throw tls.notImplemented(
        `${credentialName.slice(0, scheme + 3)} credentials ${notYet} (a Secret name is)`,
        `${tls.path}.credentialName`,
      );
    credentialName = credentialName.slice('kubernetes://'.length);
  }
  return Object.freeze({ httpsRedirect: redirect, mode: 'SIMPLE', credentialName });
}

/** A VirtualService, checked as `ValidateVirtualService` (pkg/config/validation/validation.go) does, in its words. */
export function parseVirtualService(doc: FieldReader, source: Source): VirtualService {
  const spec = doc.child('spec');
  spec.only(['hosts', 'gateways', 'http', 'exportTo'], ['tcp', 'tls']);
  const hosts = spec.has('hosts') ? spec.stringList('hosts') : [];
  const gateways = spec.has('gateways') ? spec.stringList('gateways') : [];
  // A VirtualService without hosts is a delegate: only a root's `delegate` can use it.
  if (hosts.length === 0 && gateways.length > 0)
    throw spec.error('delegate virtual service must have no gateways specified', `${spec.path}.gateways`);
  for (const [index, name] of gateways.entries())
    checkGatewayName(spec, name, `${spec.path}.gateways[${index}]`);
  const appliesToMesh = gateways.length === 0 || gateways.includes('mesh');
  for (const [index, host] of hosts.entries()) {
    const path = `${spec.path}.hosts[${index}]`;
    if (!isIpAddress(host)) checkWildcardDomain(spec, host, path);
    if (appliesToMesh && host === '*')
      throw spec.error('wildcard host * is not allowed for virtual services bound to the mesh gateway', path);
  }
  for (let i = 0; i < hosts.length; i++)
    for (let j = i + 1; j < hosts.length; j++)
      if (hostsMatch(hosts[i] as string, hosts[j] as string))
        throw spec.error(
          `duplicate hosts in virtual service: ${hosts[i]} & ${hosts[j]}`,
          `${spec.path}.hosts[${j}]`,
        );
  const http = spec.optionalList('http');
  if (http.length === 0 && !spec.has('tcp') && !spec.has('tls'))
    throw spec.error('http, tcp or tls must be provided in virtual service');
  return Object.freeze({
    kind: 'VirtualService',
    ...source,
    hosts: Object.freeze(hosts),
    gateways: Object.freeze(gateways.length === 0 ? ['mesh'] : gateways),
    http: Object.freeze(spec.items('http', (route) => parseHttpRoute(route, hosts.length === 0))),
    exportTo: parseExportTo(spec, source.namespace),
  });
}

/** `validateGatewayNames`: `mesh`, a short name or FQDN, or `namespace/name` of DNS labels. */
function checkGatewayName(spec: FieldReader, name: string, path: string): void {
  const slash = name.indexOf('/');
  if (slash === -1) {
    checkDnsLabels(spec, name, name, path);
    return;
  }
  const namespace = name.slice(0, slash);
  const gateway = name.slice(slash + 1);
  if (namespace === '' || gateway === '')
    throw spec.error('config namespace and gateway name cannot be empty', path);
  if (!dns1123Label.test(namespace)) throw spec.error(`invalid value for namespace: "${namespace}"`, path);
  if (!dns1123Label.test(gateway)) throw spec.error(`invalid value for gateway name: "${gateway}"`, path);
}

/** agent.ValidateWildcardDomain: a wildcard only as (the start of) the first label. */
function checkWildcardDomain(spec: FieldReader, domain: string, path: string): void {
  if (domain.length > 255) throw spec.error(`domain name "${domain}" too long (max 255)`, path);
  const dot = domain.indexOf('.');
  const first = dot === -1 ? domain : domain.slice(0, dot);
  if (first.length > 63 || !wildcardLabel.test(first))
    throw spec.error(`domain name "${domain}" invalid (label "${first}" invalid)`, path);
  if (dot !== -1) checkDnsLabels(spec, domain.slice(dot + 1), domain, path);
}

/** agent.ValidateDNS1123Labels, naming `domain` (the whole name) in its errors. */
function checkDnsLabels(spec: FieldReader, labels: string, domain: string, path: string): void {
  const parts = labels.split('.');
  const top = parts[parts.length - 1] as string;
  if (/^[+-]?\d+$/.test(top))
    throw spec.error(
      `domain name "${domain}" invalid (top level domain "${top}" cannot be all-numeric)`,
      path,
    );
  for (const [index, label] of parts.entries()) {
    if (index === parts.length - 1 && label === '') return;
    if (!dns1123Label.test(label))
      throw spec.error(`domain name "${domain}" invalid (label "${label}" invalid)`, path);
  }
}

/** host.Name.Matches: equal, or one wildcard covering the other. */
function hostsMatch(a: string, b: string): boolean {
  const aWild = a.startsWith('*');
  const bWild = b.startsWith('*');
  if (aWild && bWild)
    return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aWild) return b.endsWith(a.slice(1));
  if (bWild) return a.endsWith(b.slice(1));
  return a === b;
}

function isIpAddress(host: string): boolean {
  return isIP(host) !== 0;
}

export function parseDestinationRule(doc: FieldReader, source: Source): DestinationRule {
  const spec = doc.child('spec');
  spec.only(['host', 'trafficPolicy', 'subsets', 'exportTo'], ['workloadSelector']);
  const subsets = spec.items('subsets', (subset): Subset => {
    subset.only(['name', 'labels', 'trafficPolicy']);
    const name = subset.string('name');
    // validateSubsetName: the name becomes part of the cluster name.
    if (!dns1123Label.test(name))
      throw subset.error(`subset name is invalid: ${name}`, `${subset.path}.name`);
    return Object.freeze({
      name,
      labels: subset.labels('labels'),
      trafficPolicy: subset.optional('trafficPolicy', parseTrafficPolicy),
    });
  });
  const names = new Set<string>();
  for (const [index, subset] of subsets.entries()) {
    if (names.has(subset.name))
      throw spec.error(`duplicate subset names: ${subset.name}`, `${spec.path}.subsets[${index}]`);
    names.add(subset.name);
  }
  return Object.freeze({
    kind: 'DestinationRule',
    ...source,
    host: spec.string('host'),
    trafficPolicy: spec.optional('trafficPolicy', parseTrafficPolicy),
    subsets: Object.freeze(subsets),
    exportTo: parseExportTo(spec, source.namespace),
  });
}

/** `validateExportTo` in pkg/config/validation/validation.go, with its wording. */
function parseExportTo(spec: FieldReader, namespace: string): readonly string[] {
  if (!spec.has('exportTo')) return Object.freeze([]);
  const entries = spec.stringList('exportTo');
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const path = `${spec.path}.exportTo[${index}]`;
    const key = entry === '.' ? namespace : entry;
    if (seen.has(key)) {
      throw spec.error(
        key === entry
          ? `duplicate entries in exportTo for entry ${entry}`
          : `duplicate entries in exportTo: . and current namespace ${namespace}`,
        path,
      );
    }
    if (entry === '~')
      throw spec.error('exportTo ~ (none) is not allowed for Istio configuration objects', path);
    if (entry !== '.' && entry !== '*' && !dns1123Label.test(entry))
      throw spec.error('only .,*, or a valid DNS 1123 label is allowed as exportTo entry', path);
    seen.add(key);
  }
  if (seen.has('*') && entries.length > 1) {
    throw spec.error(
      'cannot have both public (*) and non-public exportTo values for a resource',
      `${spec.path}.exportTo`,
    );
  }
  return Object.freeze(entries);
}

/** labels.IsDNS1123Label (upper case allowed, as Istio's check has it). */
const dns1123Label = /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
/** labels.IsWildcardDNS1123Label: `*`, `*foo`, `*-foo` or a plain label. */
const wildcardLabel = /^(\*|(\*|\*-)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

function parseTrafficPolicy(policy: FieldReader): TrafficPolicy {
  // `tls` (ISTIO_MUTUAL...) only concerns mTLS between sidecars, which the local runtime does not emulate.
  policy.only(
    ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'],
    ['portLevelSettings', 'proxyProtocol', 'retryBudget', 'tunnel'],
  );
  return Object.freeze({
    loadBalancer: policy.optional('loadBalancer', parseLoadBalancer),
    connectionPool: policy.optional('connectionPool', parseConnectionPool),
    outlierDetection: policy.optional('outlierDetection', parseOutlierDetection),
  });
}

const lbPolicies: readonly string[] = ['ROUND_ROBIN', 'LEAST_REQUEST', 'LEAST_CONN', 'RANDOM'];

function parseLoadBalancer(lb: FieldReader): LoadBalancerPolicy | undefined {
  lb.only(
    ['simple'],
    [
      'backendUtilization',
      'consistentHash',
      'localityLbSetting',
      'warmup',
      'warmupDurationSecs',
      'zoneAwareLbSetting',
    ],
  );
  if (!lb.has('simple')) return undefined;
  const simple = lb.string('simple');
  if (!lbPolicies.includes(simple))
    throw lb.error(`must be one of ${lbPolicies.join(', ')}`, `${lb.path}.simple`);
  // Istio maps the deprecated LEAST_CONN to Envoy's LEAST_REQUEST (cluster_traffic_policy.go).
  return (simple === 'LEAST_CONN' ? 'LEAST_REQUEST' : simple) as LoadBalancerPolicy;
}

function parseConnectionPool(pool: FieldReader): ConnectionPool {
  pool.only(['tcp', 'http']);
  let tcp: ConnectionPool['tcp'];
  if (pool.has('tcp')) {
    const field = pool.child('tcp');
    field.only(['maxConnections', 'connectTimeout', 'tcpKeepalive', 'maxConnectionDuration', 'idleTimeout']);
    tcp = Object.freeze({
      maxConnections: optionalPositive(field, 'maxConnections'),
      connectTimeoutMs: field.has('connectTimeout') ? duration(field, 'connectTimeout') : undefined,
    });
  }
  let http: ConnectionPool['http'];
  if (pool.has('http')) {
    const field = pool.child('http');
    field.only(
      [
        'http1MaxPendingRequests',
        'http2MaxRequests',
        'maxRequestsPerConnection',
        'maxRetries',
        'idleTimeout',
        'h2UpgradePolicy',
        'useClientProtocol',
        'maxConcurrentStreams',
      ],
      ['http2KeepAlive'],
    );
    http = Object.freeze({
      http1MaxPendingRequests: optionalPositive(field, 'http1MaxPendingRequests'),
      http2MaxRequests: optionalPositive(field, 'http2MaxRequests'),
      maxRequestsPerConnection: optionalPositive(field, 'maxRequestsPerConnection'),
      maxRetries: optionalPositive(field, 'maxRetries'),
    });
  }
  return Object.freeze({ tcp, http });
}

/** Istio treats 0 as "unset" for the connection pool limits (cluster_traffic_policy.go: `> 0`). */
function optionalPositive(field: FieldReader, key: string): number | undefined {
  if (!field.has(key)) return undefined;
  const value = field.integer(key, 0);
  return value > 0 ? value : undefined;
}

function parseOutlierDetection(field: FieldReader): OutlierDetection {
  field.only(
    [
      'consecutive5xxErrors',
      'consecutiveGatewayErrors',
      'consecutiveErrors',
      'interval',
      'baseEjectionTime',
      'maxEjectionPercent',
      'minHealthPercent',
      'splitExternalLocalOriginErrors',
      'consecutiveLocalOriginFailures',
    ],
    ['outlierDetectionHttpErrorCodes'],
  );
  // consecutive5xxErrors and consecutiveGatewayErrors are UInt32Value in istio/api, consecutiveErrors an int32.
  const consecutive5xx = field.has('consecutive5xxErrors')
    ? field.integer('consecutive5xxErrors', 0, uint32Max)
    : field.has('consecutiveErrors')
      ? field.integer('consecutiveErrors')
      : undefined;
  return Object.freeze({
    consecutive5xxErrors: consecutive5xx,
    consecutiveGatewayErrors: field.has('consecutiveGatewayErrors')
      ? field.integer('consecutiveGatewayErrors', 0, uint32Max)
      : undefined,
    intervalMs: field.has('interval') ? duration(field, 'interval') : undefined,
    baseEjectionTimeMs: field.has('baseEjectionTime') ? duration(field, 'baseEjectionTime') : undefined,
    maxEjectionPercent: field.has('maxEjectionPercent')
      ? percentInteger(field, 'maxEjectionPercent')
      : undefined,
  });
}

/** `inDelegate`: the route belongs to a delegate VirtualService, which cannot delegate further. */
function parseHttpRoute(route: FieldReader, inDelegate: boolean): HttpRoute {
  route.only(
    [
      'name',
      'match',
      'route',
      'redirect',
      'directResponse',
      'rewrite',
      'headers',
      'timeout',
      'retries',
      'fault',
      'mirror',
      'mirrorPercentage',
      'mirrorPercent',
      'mirrors',
      'delegate',
    ],
    ['corsPolicy', 'mirror_percent'],
  );
  const delegate = route.optional('delegate', parseDelegate);
  const destinations = route.items('route', parseRouteDestination);
  const redirect = route.optional('redirect', parseRedirect);
  const directResponse = route.optional('directResponse', parseDirectResponse);
  if (delegate) {
    if (inDelegate)
      throw route.error('delegate HTTP route cannot contain delegate', `${route.path}.delegate`);
    // validateHTTPRouteConflict for a root route: only the delegate decides where requests go.
    const name = route.optionalString('name') ?? '';
    if (route.has('redirect')) throw route.error(`root HTTP route ${name} must not specify redirect`);
    if (route.has('route')) throw route.error(`root HTTP route ${name} must not specify route`);
  } else checkRouteConflicts(route, route.optionalList('route').length > 0);
  if (destinations.length > 1 && destinations.every((destination) => (destination.weight ?? 0) === 0)) {
    // Istio's validation: "total destination weight = 0" (pkg/config/validation).
    throw route.error('total destination weight = 0', `${route.path}.route`);
  }
  const totalWeight = destinations.reduce((sum, destination) => sum + (destination.weight ?? 0), 0);
  if (totalWeight > uint32Max) {
    // Envoy refuses such a route ("The sum of weights of all weighted clusters ... exceeds 4294967295").
    throw route.error(
      `the sum of the weights must be <= ${uint32Max} (got ${totalWeight})`,
      `${route.path}.route`,
    );
  }
  const mirrors: HttpMirror[] = [];
  if (route.has('mirror')) {
    // mirrorPercentage (a double) wins over the deprecated integer mirrorPercent; omitted means 100 (route.go MirrorPercent).
    const percentage = route.has('mirrorPercentage')
      ? percentValue(route.child('mirrorPercentage'))
      : route.has('mirrorPercent')
        ? percentInteger(route, 'mirrorPercent')
        : 100;
    mirrors.push(Object.freeze({ destination: parseDestination(route.child('mirror')), percentage }));
  }
  mirrors.push(
    ...route.items('mirrors', (item) => {
      item.only(['destination', 'percentage']);
      return Object.freeze({
        destination: parseDestination(item.child('destination')),
        percentage: item.has('percentage') ? percentValue(item.child('percentage')) : 100,
      });
    }),
  );
  const rewrite = route.optional('rewrite', parseRewrite);
  const headers = route.optional('headers', parseHeaders);
  checkAuthorityRewrite(route, rewrite, headers);
  return Object.freeze({
    name: route.optionalString('name'),
    match: Object.freeze(route.items('match', parseMatch)),
    route: Object.freeze(destinations),
    redirect,
    directResponse,
    rewrite,
    headers,
    timeoutMs: route.has('timeout') ? duration(route, 'timeout') : undefined,
    retries: route.optional('retries', parseRetries),
    fault: route.optional('fault', parseFault),
    mirrors: Object.freeze(mirrors.filter((mirror) => mirror.percentage > 0)),
    delegate,
  });
}

function parseDelegate(field: FieldReader): { name: string; namespace: string | undefined } {
  field.only(['name', 'namespace']);
  return Object.freeze({ name: field.string('name'), namespace: field.optionalString('namespace') });
}

/** `validateHTTPRouteConflict`: one action per route, and what may not come with it. */
function checkRouteConflicts(route: FieldReader, hasDestinations: boolean): void {
  const conflict = (message: string) => {
    throw route.error(message);
  };
  if (route.has('redirect')) {
    if (hasDestinations) conflict('HTTP route cannot contain both route and redirect');
    if (route.has('fault')) conflict('HTTP route cannot contain both fault and redirect');
    if (route.has('rewrite')) conflict('HTTP route rule cannot contain both rewrite and redirect');
    if (route.has('directResponse'))
      conflict('HTTP route rule cannot contain both direct_response and redirect');
  } else if (route.has('directResponse')) {
    if (hasDestinations) conflict('HTTP route cannot contain both route and direct_response');
    if (route.has('fault')) conflict('HTTP route cannot contain both fault and direct_response');
    if (route.has('rewrite')) conflict('HTTP route rule cannot contain both rewrite and direct_response');
  } else if (!hasDestinations) conflict('HTTP route, redirect or direct_response is required');
  if (route.has('mirror') && route.optionalList('mirrors').length > 0)
    conflict('HTTP route cannot contain both mirror and mirrors');
}

/** `validateAuthorityRewrite`: the authority is rewritten in one place at most. */
function checkAuthorityRewrite(
  route: FieldReader,
  rewrite: HttpRewrite | undefined,
  headers: Headers | undefined,
) {
  let current = rewrite?.authority;
  const request = headers?.request;
  for (const [name, value] of [...(request?.set ?? []), ...(request?.add ?? [])]) {
    if (name !== 'host' && name !== ':authority') continue;
    if (current !== undefined)
      throw route.error(
        `authority header cannot be set multiple times: have "${current}", attempting to set "${value}"`,
      );
    current = value;
  }
}

function parseMatch(match: FieldReader): HttpMatchRequest {
  match.only(
    [
      'name',
      'uri',
      'ignoreUriCase',
      'method',
      'authority',
      'scheme',
      'headers',
      'withoutHeaders',
      'queryParams',
      'port',
      'gateways',
      'sourceLabels',
      'sourceNamespace',
    ],
    ['statPrefix'],
  );
  const gateways = match.has('gateways') ? match.stringList('gateways') : [];
  for (const [index, name] of gateways.entries())
    checkGatewayName(match, name, `${match.path}.gateways[${index}]`);
  const sourceNamespace = match.optionalString('sourceNamespace');
  if (sourceNamespace !== undefined && !dns1123Label.test(sourceNamespace))
    throw match.error(`sourceNamespace match ${sourceNamespace} is invalid`, `${match.path}.sourceNamespace`);
  return Object.freeze({
    name: match.optionalString('name'),
    // uri alone may be an empty prefix (Envoy's path prefix may be empty, other matchers not).
    uri: match.has('uri') ? parseStringMatch(match.child('uri'), 'uri', true) : undefined,
    ignoreUriCase: match.has('ignoreUriCase') ? boolean(match, 'ignoreUriCase') : false,
    method: match.has('method') ? parseStringMatch(match.child('method'), 'method') : undefined,
    authority: match.has('authority') ? parseStringMatch(match.child('authority'), 'authority') : undefined,
    scheme: match.has('scheme') ? parseStringMatch(match.child('scheme'), 'scheme') : undefined,
    headers: namedMatches(match, 'headers', true),
    withoutHeaders: namedMatches(match, 'withoutHeaders', true),
    queryParams: namedMatches(match, 'queryParams', false),
    port: match.has('port') ? match.port('port') : undefined,
    gateways: Object.freeze(gateways),
    sourceLabels: match.labels('sourceLabels'),
    sourceNamespace,
  });
}

function namedMatches(
  match: FieldReader,
  key: 'headers' | 'withoutHeaders' | 'queryParams',
  lowerCase: boolean,
): readonly (readonly [string, ValueMatch])[] {
  if (!match.has(key)) return Object.freeze([]);
  const field = match.child(key);
  return Object.freeze(
    Object.keys(field.record()).map((name) => {
      const value = field.child(name);
      return Object.freeze([lowerCase ? name.toLowerCase() : name, parseValueMatch(value, key)] as const);
    }),
  );
}

/**
 * `{}` is Envoy's present_match; so is `regex: "*"`, but only in withoutHeaders: Istio's
 * validation leaves that one to route.go canBeConvertedToPresentMatch and checks every other
 * regex as RE2, which refuses `*`.
 */
function parseValueMatch(field: FieldReader, where: string): ValueMatch {
  if (field.value === null || field.value === undefined || Object.keys(field.record()).length === 0) {
    return { present: true };
  }
  if (where === 'withoutHeaders' && field.has('regex') && field.child('regex').value === '*')
    return { present: true };
  return parseStringMatch(field, where);
}

/** validateStringMatch / validateStringMatchRegexp, in their words. */
function parseStringMatch(field: FieldReader, where: string, emptyPrefix = false): StringMatch {
  field.only(['exact', 'prefix', 'regex']);
  const keys = Object.keys(field.record());
  if (keys.length !== 1) throw field.error('needs exactly one of exact, prefix, regex');
  const key = keys[0] as 'exact' | 'prefix' | 'regex';
  const path = `${field.path}.${key}`;
  const value = field.child(key).value;
  if (typeof value !== 'string') throw field.error('must be a string', path);
  if (key === 'regex') {
    if (value === '') throw field.error(`"${where}": regex string match should not be empty`, path);
    // Envoy's RE2 program size limit, approximated by the length as Istio does.
    if (value.length > 1024)
      throw field.error(`"${where}": regex is too large, max length allowed is 1024`, path);
    const problem = checkRe2(value);
    if (problem !== undefined)
      throw field.error(
        `"${where}": ${problem}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`,
        path,
      );
    return { regex: value };
  }
  if (key === 'prefix' && value === '' && !emptyPrefix)
    throw field.error(`"${where}": prefix string match should not be empty`, path);
  return key === 'exact' ? { exact: value } : { prefix: value };
}

/** validateDestination: a host (never `*`), a subset name that can be part of a cluster name. */
function parseDestination(destination: FieldReader): Destination {
  destination.only(['host', 'subset', 'port']);
  const host = destination.string('host');
  const hostPath = `${destination.path}.host`;
  if (host === '*') throw destination.error(`invalid destination host ${host}`, hostPath);
  checkWildcardDomain(destination, host, hostPath);
  const subset = destination.optionalString('subset');
  if (subset !== undefined && !dns1123Label.test(subset))
    throw destination.error(`subset name is invalid: ${subset}`, `${destination.path}.subset`);
  return Object.freeze({
    host,
    subset,
    port: destination.optional('port', (port) => {
      port.only(['number']);
      return port.port('number');
    }),
  });
}

function parseRouteDestination(item: FieldReader): HttpRouteDestination {
  item.only(['destination', 'weight', 'headers']);
  return Object.freeze({
    ...parseDestination(item.child('destination')),
    weight: item.has('weight') ? item.integer('weight') : undefined,
    headers: item.optional('headers', parseHeaders),
  });
}

function parseHeaders(field: FieldReader): Headers {
  field.only(['request', 'response']);
  return Object.freeze({
    request: field.optional('request', (ops) => parseHeaderOperations(ops, true)),
    response: field.optional('response', (ops) => parseHeaderOperations(ops, false)),
  });
}

/**
 * `validateHTTPRoute`'s header checks (pkg/config/validation/virtualservice.go, with
 * `ValidateHTTPHeaderValue` and the name checks in validation.go): a name is not empty nor
 * `:`-prefixed, Host is only set or added on a request (as the authority), and a value holds no
 * control character but HTAB. Envoy refuses such names and values too; so no operation can break
 * a head line, and the codec writing heads need not look for CR or LF again.
 */
function parseHeaderOperations(field: FieldReader, request: boolean): HeaderOperations {
  field.only(['set', 'add', 'remove']);
  const check = (name: string, value: string | undefined, path: string, setsAuthority: boolean): boolean => {
    const problem =
      headerOperationNameProblem(name, setsAuthority) ??
      (value !== undefined && hasControlCharacter(value)
        ? `header value configuration ${JSON.stringify(value)} is invalid: control character`
        : undefined);
    if (problem === undefined) return true;
    field.report(field.error(problem, path));
    return false;
  };
  const pairs = (key: 'set' | 'add') =>
    Object.freeze(
      Object.entries(field.labels(key))
        .filter(([name, value]) => check(name, value, `${field.path}.${key}.${name}`, request))
        .map(([name, value]) => Object.freeze([name.toLowerCase(), value] as const)),
    );
  const remove = field.has('remove') ? field.stringList('remove') : [];
  return Object.freeze({
    set: pairs('set'),
    add: pairs('add'),
    remove: Object.freeze(
      remove
        .filter((name, i) => check(name, undefined, `${field.path}.remove[${i}]`, false))
        .map((name) => name.toLowerCase()),
    ),
  });
}

// RFC 9110 §5.6.2's token: what the head a name is written into can hold.
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Istio's messages for a header a route may not operate on; undefined when it may. */
function headerOperationNameProblem(name: string, setsAuthority: boolean): string | undefined {
  if (name === '') return 'header name cannot be empty';
  const lower = name.toLowerCase();
  const authority = lower === 'host' || lower === ':authority';
  if (lower === 'host' && !setsAuthority) return `invalid header "${name}": cannot set Host header`;
  if (name.startsWith(':') && !(authority && setsAuthority))
    return `invalid header "${name}": header cannot have ":" prefix`;
  if (!authority && !headerName.test(name)) return `header name ${name} is not a valid header name`;
  return undefined;
}

const controlCharacterProblem = 'must not contain control characters';

/**
 * A string that ends up in a request line or a header (a rewritten path or authority, a redirect's
 * Location): Envoy refuses control characters in these (their `HTTP_HEADER_VALUE` rule).
 */
function headText(field: FieldReader, key: string): string | undefined {
  const text = field.optionalString(key);
  if (text !== undefined && hasControlCharacter(text))
    throw field.error(controlCharacterProblem, `${field.path}.${key}`);
  return text;
}

/** Istio's header value rule (`^[^\u0000-\u0008\u000A-\u001F\u007F]*$`): no control character but HTAB. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}

function parseRewrite(field: FieldReader): HttpRewrite {
  field.only(['uri', 'authority', 'uriRegexRewrite']);
  let uriRegexRewrite: HttpRewrite['uriRegexRewrite'];
  if (field.has('uriRegexRewrite')) {
    const regex = field.child('uriRegexRewrite');
    regex.only(['match', 'rewrite']);
    const match = regex.string('match');
    const problem = checkRe2(match);
    if (problem !== undefined)
      throw regex.error(`is not a valid RE2 regular expression: ${problem}`, `${regex.path}.match`);
    const rewrite = regex.child('rewrite').value;
    if (typeof rewrite !== 'string') throw regex.error('must be a string', `${regex.path}.rewrite`);
    if (hasControlCharacter(rewrite)) throw regex.error(controlCharacterProblem, `${regex.path}.rewrite`);
    uriRegexRewrite = Object.freeze({ match, rewrite });
  }
  if (field.has('uri') && uriRegexRewrite) throw field.error('uri and uriRegexRewrite cannot both be set');
  return Object.freeze({
    uri: headText(field, 'uri'),
    authority: headText(field, 'authority'),
    uriRegexRewrite,
  });
}

function parseRedirect(field: FieldReader): HttpRedirect {
  field.only(['uri', 'authority', 'port', 'derivePort', 'scheme', 'redirectCode'], ['prefixRewrite']);
  const derivePort = field.optionalString('derivePort');
  if (
    derivePort !== undefined &&
    derivePort !== 'FROM_PROTOCOL_DEFAULT' &&
    derivePort !== 'FROM_REQUEST_PORT'
  ) {
    throw field.error('must be FROM_PROTOCOL_DEFAULT or FROM_REQUEST_PORT', `${field.path}.derivePort`);
  }
  // Istio's default redirect code is 301 (route.go ApplyRedirect: MOVED_PERMANENTLY).
  const redirectCode = field.optionalInteger('redirectCode', 301, 300);
  if (![301, 302, 303, 307, 308].includes(redirectCode)) {
    throw field.error('must be one of 301, 302, 303, 307, 308', `${field.path}.redirectCode`);
  }
  return Object.freeze({
    uri: headText(field, 'uri'),
    authority: headText(field, 'authority'),
    port: field.has('port') ? field.port('port') : undefined,
    derivePort,
    scheme: headText(field, 'scheme'),
    redirectCode,
  });
}

function parseDirectResponse(field: FieldReader): HttpDirectResponse {
  field.only(['status', 'body']);
  let body: string | undefined;
  if (field.has('body')) {
    const bodyField = field.child('body');
    bodyField.only(['string'], ['bytes']);
    const value = bodyField.child('string').value;
    if (typeof value !== 'string') throw bodyField.error('must be a string', `${bodyField.path}.string`);
    body = value;
  }
  // validateHTTPStatus: "HTTP status %d is not in range 200-599".
  return Object.freeze({ status: field.integer('status', 200, 599), body });
}

function parseRetries(field: FieldReader): HttpRetry {
  field.only([
    'attempts',
    'perTryTimeout',
    'retryOn',
    'retryRemoteLocalities',
    'retryIgnorePreviousHosts',
    'backoff',
  ]);
  return Object.freeze({
    attempts: field.optionalInteger('attempts', 0),
    perTryTimeoutMs: field.has('perTryTimeout') ? duration(field, 'perTryTimeout') : undefined,
    retryOn: field.has('retryOn') ? (field.child('retryOn').value as string) : undefined,
    retryRemoteLocalities: field.has('retryRemoteLocalities')
      ? boolean(field, 'retryRemoteLocalities')
      : undefined,
    backoffMs: field.has('backoff') ? duration(field, 'backoff') : undefined,
  });
}

function parseFault(field: FieldReader): HttpFault {
  field.only(['delay', 'abort']);
  let delay: HttpFault['delay'];
  if (field.has('delay')) {
    const d = field.child('delay');
    d.only(['fixedDelay', 'percentage', 'percent'], ['exponentialDelay']);
    delay = Object.freeze({ fixedDelayMs: duration(d, 'fixedDelay'), percentage: faultPercentage(d) });
  }
  let abort: HttpFault['abort'];
  if (field.has('abort')) {
    const a = field.child('abort');
    a.only(['httpStatus', 'percentage'], ['grpcStatus', 'http2Error']);
    const httpStatus = a.integer('httpStatus', 200);
    if (httpStatus > 599) throw a.error('must be an HTTP status between 200 and 599', `${a.path}.httpStatus`);
    abort = Object.freeze({ httpStatus, percentage: faultPercentage(a) });
  }
  if (!delay && !abort) throw field.error('needs delay or abort');
  return Object.freeze({ delay, abort });
}

/** "If not specified, no request will be aborted/delayed" (istio/api virtual_service.proto). */
function faultPercentage(field: FieldReader): number {
  if (field.has('percentage')) {
    const percentage = percentValue(field.child('percentage'));
    // validatePercentage in pkg/config/validation/validation.go: 0, or at least 0.0001.
    if (percentage > 0 && percentage < 0.0001) {
      throw field.error('must be 0 or between 0.0001 and 100', `${field.path}.percentage.value`);
    }
    return percentage;
  }
  if (field.has('percent')) return percentInteger(field, 'percent');
  return 0;
}

/** `{ value: 12.5 }`, a double in 0–100. */
function percentValue(field: FieldReader): number {
  field.only(['value']);
  if (!field.has('value')) return 0;
  const value = field.child('value').value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw field.error('must be a number between 0 and 100', `${field.path}.value`);
  }
  return value;
}

function percentInteger(field: FieldReader, key: string): number {
  const value = field.integer(key, 0);
  if (value > 100) throw field.error('must be between 0 and 100', `${field.path}.${key}`);
  return value;
}

function boolean(field: FieldReader, key: string): boolean {
  const value = field.child(key).value;
  if (typeof value !== 'boolean') throw field.error('must be true or false', `${field.path}.${key}`);
  return value;
}

const durationUnits: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000_001,
};

/** A protobuf/Go duration (`1s`, `0.5s`, `250ms`, `1m30s`), in milliseconds. */
function duration(field: FieldReader, key: string): number {
  const child = field.child(key);
  const value = child.value;
  if (typeof value !== 'string' || value === '') throw child.error('must be a duration such as 1s or 250ms');
  let total = 0;
  let rest = value;
  while (rest.length > 0) {
    const part = /^(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/.exec(rest);
    if (!part) throw child.error('must be a duration such as 1s or 250ms');
    total += Number(part[1]) * (durationUnits[part[2] as string] as number);
    rest = rest.slice(part[0].length);
  }
  return total;
}
