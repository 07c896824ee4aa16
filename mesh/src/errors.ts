/** Base of every error the runtime knows how to explain in one line. */
export class MeshError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A manifest under deploy/ is unreadable, not YAML, or misses a field the runtime uses. */
export class ManifestError extends MeshError {
  readonly file: string;
  readonly field: string | undefined;

  constructor(file: string, field: string | undefined, message: string, options?: ErrorOptions) {
    super(
      'MANIFEST_INVALID',
      field === undefined ? `${file}: ${message}` : `${file}: ${field}: ${message}`,
      options,
    );
    this.file = file;
    this.field = field;
  }
}

/** The manifests are each valid but do not fit together (unknown image, secret without a local value...). */
export class TopologyError extends MeshError {
  constructor(message: string) {
    super('TOPOLOGY_INVALID', message);
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
    super('USAGE', message);
  }
}

/** The CLI found no admin API to talk to. */
export class NoRuntimeError extends MeshError {
  constructor() {
    super(
      'NO_RUNTIME',
      'no mesh runtime is running (start it with npm start; if it runs with --data-dir, pass the same --data-dir)',
    );
  }
}

/** The admin API refused a request; the message is its one-line answer. */
export class AdminApiError extends MeshError {
  readonly status: number;

  constructor(code: string, status: number, message: string) {
    super(code, message);
    this.status = status;
  }
}
