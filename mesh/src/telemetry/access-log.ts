import type { ConnectionRecord } from './connection.ts';
import type { RequestRecord } from './record.ts';

/**
 * Istio's default text access log (istio `pilot/pkg/model/telemetry_logging.go`,
 * `EnvoyTextLogFormat`), field for field:
 *
 * [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
 * %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
 * "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
 * %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
 * "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW%
 * %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
 * %REQUESTED_SERVER_NAME% %ROUTE_NAME%
 *
 * Envoy prints `-` for a value it does not have, inside the quotes where the format has them.
 * CONNECTION_TERMINATION_DETAILS, UPSTREAM_TRANSPORT_FAILURE_REASON and REQUESTED_SERVER_NAME (SNI)
 * are always `-` locally: no TLS, and the data path does not report socket-level reasons.
 * Returned without the trailing newline.
 */
export function formatAccessLog(record: RequestRecord): string {
  // `+` rather than a template literal, which converts each value with a ToString call first.
  return (
    startTime(record.startTime) +
    record.method +
    ' ' +
    redactQuery(record.path) +
    protocol(record.protocol) +
    outcome(record.status, record.responseFlags) +
    sizes(record.requestBytes, record.responseBytes) +
    wholeMs(record.durationMs) +
    ' ' +
    wholeMs(record.upstreamServiceTimeMs) +
    ' "' +
    dash(record.forwardedFor) +
    '" "' +
    dash(record.userAgent) +
    '" "' +
    dash(record.requestId) +
    '" ' +
    upstream(record) +
    dash(record.downstreamRemoteAddress) +
    route(record)
  );
}

// Each part of a line is concatenated piece by piece; the parts below repeat from request to
// request (the same answer, upstream and route), so the last one of each is kept with what it
// was made of and reused while that stays the same: about 16 fewer pieces per line.

/** ` %PROTOCOL%" `. */
function protocol(name: string): string {
  return name === 'HTTP/1.1' ? ' HTTP/1.1" ' : ` ${name}" `;
}

let lastReceived = -1;
let lastSent = -1;
let lastSizes = '';

/** `%BYTES_RECEIVED% %BYTES_SENT% `: answers of one size repeat, as the outcome does. */
function sizes(received: number, sent: number): string {
  if (received !== lastReceived || sent !== lastSent) {
    lastReceived = received;
    lastSent = sent;
    lastSizes = `${received} ${sent} `;
  }
  return lastSizes;
}

let lastStatus = -1;
let lastFlags = '';
let lastOutcome = '';

/** `%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% - "-" ` (the two fields always `-` here). */
function outcome(status: number, responseFlags: string): string {
  if (status !== lastStatus || responseFlags !== lastFlags) {
    const flags = responseFlags || '-';
    lastStatus = status;
    lastFlags = responseFlags;
    lastOutcome = `${status} ${flags} ${responseCodeDetails(status, flags)} - "-" `;
  }
  return lastOutcome;
}

/** The fields from the authority to the downstream local address, and the route, of one reporter's last line. */
class UpstreamPart {
  authority: string | undefined = undefined;
  host: string | undefined = undefined;
  cluster: string | undefined = undefined;
  local: string | undefined = undefined;
  downstreamLocal: string | undefined = undefined;
  text = '';
  routeName: string | undefined = undefined;
  routeText = '';
}

// The two reporters of a request alternate, each with its own upstream and route.
const sourcePart = new UpstreamPart();
const destinationPart = new UpstreamPart();

/** `"%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% ` */
function upstream(record: RequestRecord): string {
  const part = record.reporter === 'source' ? sourcePart : destinationPart;
  if (
    record.authority !== part.authority ||
    record.upstreamHost !== part.host ||
    record.upstreamCluster !== part.cluster ||
    record.upstreamLocalAddress !== part.local ||
    record.downstreamLocalAddress !== part.downstreamLocal
  ) {
    part.authority = record.authority;
    part.host = record.upstreamHost;
    part.cluster = record.upstreamCluster;
    part.local = record.upstreamLocalAddress;
    part.downstreamLocal = record.downstreamLocalAddress;
    part.text =
      `"${dash(record.authority)}" "${dash(record.upstreamHost)}" ${dash(record.upstreamCluster)} ` +
      `${dash(record.upstreamLocalAddress)} ${dash(record.downstreamLocalAddress)} `;
  }
  return part.text;
}

/** ` %REQUESTED_SERVER_NAME% %ROUTE_NAME%` (SNI always `-` here). */
function route(record: RequestRecord): string {
  const part = record.reporter === 'source' ? sourcePart : destinationPart;
  if (record.routeName !== part.routeName || part.routeText === '') {
    part.routeName = record.routeName;
    part.routeText = ` - ${dash(record.routeName)}`;
  }
  return part.routeText;
}

/**
 * The same format for a TCP connection, as Envoy fills it on a TCP listener: no request, so method,
 * path and protocol are `-`, the response code 0, no headers; the bytes are the connection's
 * (received from the client, sent to it) and the duration its lifetime. Written once, at close.
 */
export function formatTcpAccessLog(record: ConnectionRecord): string {
  return (
    `${startTime(record.startTime)}- - -" 0 ${record.responseFlags || '-'} - - "-" ` +
    `${record.receivedBytes} ${record.sentBytes} ${Math.trunc(record.durationMs)} - "-" "-" "-" "-" ` +
    `"${dash(record.upstreamHost)}" ${record.upstreamCluster} ${dash(record.upstreamLocalAddress)} ` +
    `${dash(record.downstreamLocalAddress)} ${dash(record.downstreamRemoteAddress)} - -`
  );
}

// A query parameter whose name looks like a credential (`token`, `access_token`, `code`, `sig`…).
const credentialParam =
  /([?&;])((?:[^=&;#]*(?:token|secret|passw|auth|signature|apikey|api_key|api-key|credential|session|jwt)[^=&;#]*|code|key|sig|pwd)=)[^&;#]*/gi;

/**
 * Envoy's format logs the path with its query; values of credential-like parameters are replaced
 * by `[redacted]` so that a token in a URL never reaches the log. Paths without a query pay one indexOf.
 */
export function redactQuery(path: string): string {
  if (path.indexOf('?') === -1) return path;
  return path.replace(credentialParam, '$1$2[redacted]');
}

let cachedSecond = Number.NaN;
let cachedPrefix = '';
/** `000Z] "` to `999Z] "`: the milliseconds and what follows them in every line. */
const millis = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z] "`);

/**
 * `[%START_TIME%] "`, the time as `2026-11-25T13:24:57.930Z`. Records do not finish in the order
 * they started, so the cache holds the second (`[2026-11-25T13:24:57.`) and a line adds only the
 * milliseconds, taken from a table.
 */
function startTime(epochMs: number): string {
  const ms = Math.floor(epochMs);
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = `[${new Date(second * 1000).toISOString().slice(0, 20)}`;
  }
  return cachedPrefix + (millis[ms - second * 1000] as string);
}

/** %RESPONSE_CODE_DETAILS% as Envoy sets it for the outcome each first flag stands for. */
const detailsByFlag: Readonly<Record<string, string>> = Object.freeze({
  NR: 'route_not_found',
  NC: 'cluster_not_found',
  UH: 'no_healthy_upstream',
  UF: 'upstream_reset_before_response_started{connection_failure}',
  UC: 'upstream_reset_after_response_started{connection_termination}',
  UT: 'response_timeout',
  UO: 'upstream_reset_before_response_started{overflow}',
  URX: 'upstream_reset_before_response_started{connection_failure}',
  FI: 'fault_filter_abort',
  DC: 'downstream_remote_disconnect',
  DPE: 'codec_error',
});

function responseCodeDetails(status: number, flags: string): string {
  if (flags !== '-') {
    for (const flag of flags.split(',')) {
      const details = detailsByFlag[flag];
      if (details !== undefined) return details;
    }
  }
  return status > 0 ? 'via_upstream' : '-';
}

/** `0` to `999`: most durations, in whole milliseconds, without a number-to-string conversion each. */
const smallMs = Array.from({ length: 1000 }, (_, ms) => String(ms));

function wholeMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const whole = Math.trunc(ms);
  return whole >= 0 && whole < 1000 ? (smallMs[whole] as string) : String(whole);
}

function dash(value: string | undefined): string {
  return value === undefined || value === '' ? '-' : value;
}
