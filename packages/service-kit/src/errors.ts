/** One offending field of a request, named as the client sent it. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * An error a client can act on. `code` is stable (clients and tests switch on it), `statusCode` is the
 * HTTP status and `message` is safe to show to a user: the problem handler sends it as `detail`.
 */
export class HttpError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly title: string;
  readonly errors: readonly FieldError[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    statusCode: number,
    code: string,
    title: string,
    message: string,
    options: { errors?: readonly FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.statusCode = statusCode;
    this.code = code;
    this.title = title;
    this.errors = options.errors ?? [];
    this.headers = options.headers ?? {};
  }
}

export class ValidationError extends HttpError {
  constructor(errors: readonly FieldError[], message = describe(errors)) {
    super(400, 'VALIDATION_FAILED', 'Invalid request', message, { errors });
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = 'A valid bearer token is required.') {
    super(401, 'UNAUTHORIZED', 'Unauthorized', message, { headers: { 'www-authenticate': 'Bearer' } });
  }
}

export class ForbiddenError extends HttpError {
  constructor(message = 'You are not allowed to do this.') {
    super(403, 'FORBIDDEN', 'Forbidden', message);
  }
}

export class NotFoundError extends HttpError {
  constructor(message = 'Not found.') {
    super(404, 'NOT_FOUND', 'Not found', message);
  }
}

export class ConflictError extends HttpError {
  constructor(message: string, errors: readonly FieldError[] = []) {
    super(409, 'CONFLICT', 'Conflict', message, { errors });
  }
}

export class RateLimitedError extends HttpError {
  constructor(retryAfterSeconds: number, message = 'Too many attempts.') {
    super(429, 'RATE_LIMITED', 'Too many requests', `${message} Retry in ${retryAfterSeconds} s.`, {
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(message: string) {
    super(503, 'UNAVAILABLE', 'Service unavailable', message);
  }
}

/** A configuration variable is missing or malformed: start-up stops with its name. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

function describe(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ') || 'The request is invalid.';
}
