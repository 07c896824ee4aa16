export interface MeshErrorOptions extends ErrorOptions {
  /** The HTTP status that answers this error (500 unless the class says otherwise). */
  readonly httpStatus?: number | undefined;
}

/** Base of every error the runtime knows how to explain in one line. */
export class MeshError extends Error {
  readonly code: string;
  /** The HTTP status an API or the data path answers it with. */
  readonly httpStatus: number;

  constructor(code: string, message: string, options?: MeshErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = options?.httpStatus ?? 500;
  }
}

/** A manifest under deploy/ is unreadable, not YAML, or misses a field the runtime uses. */
export class ManifestError extends MeshError {
  readonly file: string;
  readonly field: string | undefined;

  constructor(file: string, field: string | undefined, message: string, options?: ErrorOptions) {
    super('MANIFEST_INVALID', field === undefined ? `${file}: ${message}` : `${file}: ${field}: ${message}`, {
      ...options,
      httpStatus: 422,
    });
    this.file = file;
    this.field = field;
  }
}

/**
 * A kind or field that Kubernetes or Istio accept and the local runtime does not implement:
 * refused by name at apply, reported (not as an error of the manifest) by analyze.
 */
export class NotImplementedError extends ManifestError {}

/** The manifests are each valid but do not fit together (unknown image, secret without a local value...). */
export class TopologyError extends MeshError {
  constructor(message: string) {
    super('TOPOLOGY_INVALID', message, { httpStatus: 422 });
  }
}

export class PortInUseError extends MeshError {
  readonly port: number;

  constructor(port: number, what: string, flag = '--port') {
    super('PORT_IN_USE', `port ${port} (${what}) is already in use; pick another one with ${flag}`);
    this.port = port;
  }
}

export class DatabaseError extends MeshError {
  constructor(message: string, options?: ErrorOptions) {
    super('DATABASE_FAILED', message, options);
  }
}

export class WorkloadError extends MeshError {
  constructor(message: string) {
    super('WORKLOAD_FAILED', message);
  }
}

export class StartupTimeoutError extends MeshError {
  constructor(waitingFor: readonly string[], timeoutMs: number) {
    super(
      'STARTUP_TIMEOUT',
      `no ready endpoint after ${Math.round(timeoutMs / 1000)} s for Service(s): ${waitingFor.join(', ')}`,
    );
  }
}

export class StartupAbortedError extends MeshError {
  constructor() {
    super('STARTUP_ABORTED', 'start-up was interrupted');
  }
}

export class UsageError extends MeshError {
  constructor(message: string) {
    super('USAGE', message, { httpStatus: 400 });
  }
}

/** The CLI found no admin API to talk to; the message says where it looked. */
export class NoRuntimeError extends MeshError {
  constructor(message: string) {
    super('NO_RUNTIME', message);
  }
}

/** What was applied could not be written to the data directory, so the apply was refused. */
export class StateNotSavedError extends MeshError {
  constructor(file: string, reason: string) {
    super(
      'STATE_NOT_SAVED',
      `could not save the applied objects to ${file} (${reason}); nothing was applied`,
    );
  }
}

/** The admin API refused a request; the message is its one-line answer. */
export class AdminApiError extends MeshError {
  readonly status: number;

  constructor(code: string, status: number, message: string) {
    super(code, message, { httpStatus: status });
    this.status = status;
  }
}

/**
 * A request the data path answers itself, as Envoy's local replies: the status, the short plain
 * text body and the response flag (`source/common/router/router.cc`, `source/common/http/utility.cc`
 * `sendLocalReply`). These carry nothing per request, so each kind is built once and shared.
 */
export class LocalReplyError extends MeshError {
  readonly body: string;
  /** Envoy's %RESPONSE_FLAGS% short name, or undefined when Envoy sets none. */
  readonly flag: string | undefined;
  /** Headers of the reply beyond Envoy's own, flat `[name, value, ...]`. */
  readonly headers: readonly string[] | undefined;

  constructor(
    code: string,
    status: number,
    body: string,
    flag: string | undefined,
    headers?: readonly string[] | undefined,
  ) {
    super(code, `${status}${flag === undefined ? '' : ` ${flag}`}${body === '' ? '' : ` ${body}`}`, {
      httpStatus: status,
    });
    this.body = body;
    this.flag = flag;
    this.headers = headers;
  }
}

const upstreamReset = 'upstream connect error or disconnect/reset before headers. reset reason: ';

/** No route of the virtual host (or no virtual host) matches: 404, empty body, `NR`. */
export class RouteNotFoundError extends LocalReplyError {
  constructor() {
    super('ROUTE_NOT_FOUND', 404, '', 'NR');
  }
}

/** The route's cluster does not exist (a subset no DestinationRule defines): 503 `NC`. */
export class ClusterNotFoundError extends LocalReplyError {
  constructor() {
    super('CLUSTER_NOT_FOUND', 503, '', 'NC');
  }
}

/** Every endpoint of the cluster is gone or ejected: 503 `UH`. */
export class NoHealthyUpstreamError extends LocalReplyError {
  constructor() {
    super('NO_HEALTHY_UPSTREAM', 503, 'no healthy upstream', 'UH');
  }
}

/** A circuit breaker is open: 503 `UO`, answered with `x-envoy-overloaded: true`. */
export class UpstreamOverflowError extends LocalReplyError {
  constructor() {
    super(
      'UPSTREAM_OVERFLOW',
      503,
      `${upstreamReset}overflow`,
      'UO',
      Object.freeze(['x-envoy-overloaded', 'true']),
    );
  }
}

/** The route timeout or the last per-try timeout expired: 504 `UT`. */
export class UpstreamTimeoutError extends LocalReplyError {
  constructor() {
    super('UPSTREAM_TIMEOUT', 504, 'upstream request timeout', 'UT');
  }
}

/** A VirtualService fault abort: its status, `FI`. */
export class FaultAbortError extends LocalReplyError {
  constructor(status: number) {
    super('FAULT_ABORT', status, 'fault filter abort', 'FI');
  }
}

/** A path Envoy's normalization refuses (an encoded NUL): 400, no flag (`path_normalization_failed`). */
export class PathNormalizationError extends LocalReplyError {
  constructor() {
    super('PATH_NORMALIZATION_FAILED', 400, '', undefined);
  }
}
