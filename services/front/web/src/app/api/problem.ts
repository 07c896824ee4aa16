import { HttpErrorResponse, type HttpInterceptorFn } from '@angular/common/http';
import { catchError, throwError } from 'rxjs';

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** An RFC 9457 problem as the API sends it (docs/api.md), or one made up for a failure that has none. */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  readonly status: number;
  /** Stable machine name: VALIDATION_FAILED, NOT_FOUND, RATE_LIMITED... or NETWORK when nothing answered. */
  readonly code: string;
  readonly detail: string;
  readonly errors: readonly FieldError[];
  /** From the Retry-After header of a 429, in seconds. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    status: number;
    code: string;
    detail: string;
    errors?: readonly FieldError[];
    retryAfterSeconds?: number | undefined;
  }) {
    super(init.detail);
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.errors = init.errors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

interface ProblemBody {
  title?: unknown;
  detail?: unknown;
  code?: unknown;
  errors?: unknown;
}

function isFieldError(value: unknown): value is FieldError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as FieldError).field === 'string' &&
    typeof (value as FieldError).message === 'string'
  );
}

function toProblem(response: HttpErrorResponse): ApiProblem {
  if (response.status === 0) {
    return new ApiProblem({ status: 0, code: 'NETWORK', detail: 'The server cannot be reached.' });
  }
  const body: ProblemBody =
    typeof response.error === 'object' && response.error !== null ? response.error : {};
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' ? value : undefined;
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  return new ApiProblem({
    status: response.status,
    code: text(body.code) ?? `HTTP_${response.status}`,
    detail: text(body.detail) ?? text(body.title) ?? text(response.statusText) ?? `HTTP ${response.status}`,
    errors: Array.isArray(body.errors) ? body.errors.filter(isFieldError) : [],
    retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : undefined,
  });
}

/** Every failed API call errors with an ApiProblem, so callers never parse HttpErrorResponse themselves. */
export const problemInterceptor: HttpInterceptorFn = (req, next) =>
  next(req).pipe(
    catchError((error: unknown) =>
      throwError(() => (error instanceof HttpErrorResponse ? toProblem(error) : error)),
    ),
  );

/** What to tell the user about a failure, whatever was thrown. */
export function problemMessage(error: unknown): string {
  return error instanceof ApiProblem ? error.detail : 'Something went wrong. Please try again.';
}
