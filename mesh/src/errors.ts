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

export interface ManifestErrorOptions extends ErrorOptions {
  /** The message names the field itself (`unknown field "spec.x"`), so it is not put in front. */
  readonly namesField?: boolean | undefined;
  /** The problems this error stands for, when it is several (`ManifestError.of`). */
  readonly problems?: readonly ManifestError[] | undefined;
}

/** A manifest under deploy/ is unreadable, not YAML, or misses a field the runtime uses. */
export class ManifestError extends MeshError {
  readonly file: string;
  readonly field: string | undefined;
  /** The problem without the file: `spec.ports[0].port: must be a port number`. */
  readonly detail: string;
  /** Every problem this error stands for: itself, or each of the problems `of` was given. */
  readonly problems: readonly ManifestError[];

  constructor(file: string, field: string | undefined, message: string, options?: ManifestErrorOptions) {
    const detail = field === undefined || options?.namesField ? message : `${field}: ${message}`;
    super('MANIFEST_INVALID', `${file}: ${detail}`, { ...options, httpStatus: 422 });
    this.file = file;
    this.field = field;
    this.detail = detail;
    this.problems = Object.freeze(options?.problems ?? [this]);
  }

  /**
   * One error for all the problems found, in the order found: the whole list in one line, as
   * kubectl prints a strict decoding error; a NotImplementedError when every problem is one.
   */
  static of(problems: readonly ManifestError[]): ManifestError {
    const [first, ...rest] = problems;
    if (!first) throw new RangeError('ManifestError.of needs at least one problem');
    if (rest.length === 0) return first;
    const text = problems
      .map((problem) => (problem.file === first.file ? problem.detail : problem.message))
      .join('; ');
    const Type = problems.every((problem) => problem instanceof NotImplementedError)
      ? NotImplementedError
      : ManifestError;
    return new Type(first.file, first.field, `${problems.length} problems: ${text}`, {
      namesField: true,
      problems,
    });
  }
}

/**
 * A kind or field that Kubernetes or Istio accept and the local runtime does not implement:
 * refused by name at apply, reported (not as an error of the manifest) by analyze.
 */
export class NotImplementedError extends ManifestError {}

/** A field the kind does not have, in the words of kubectl's strict decoding. */
export class UnknownFieldError extends ManifestError {
  constructor(file: string, field: string, suggestion: string) {
    super(file, field, `unknown field "${field}"${suggestion}`, { namesField: true });
  }
}

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
