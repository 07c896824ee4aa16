import { HttpErrorResponse, type HttpInterceptorFn } from '@angular/common/http';
import { catchError, throwError } from 'rxjs';

/** An RFC 9457 problem as the console's API sends it, or one made up for a failure that has none. */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  readonly status: number;
  /** Stable machine name: BAD_PARAMETER, HOST_REFUSED... or NETWORK when nothing answered. */
  readonly code: string;

  constructor(status: number, code: string, detail: string) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

function toProblem(response: HttpErrorResponse): ApiProblem {
  if (response.status === 0) return new ApiProblem(0, 'NETWORK', 'The console cannot be reached.');
  if (response.ok)
    return new ApiProblem(response.status, 'NOT_JSON', 'The console answered something else than JSON.');
  const body = (typeof response.error === 'object' && response.error) || {};
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return new ApiProblem(
    response.status,
    text(body.code) ?? `HTTP_${response.status}`,
    text(body.detail) ?? text(response.statusText) ?? `HTTP ${response.status}`,
  );
}

/** Every failed API call errors with an ApiProblem, so callers never parse HttpErrorResponse. */
export const problemInterceptor: HttpInterceptorFn = (req, next) =>
  next(req).pipe(
    catchError((error: unknown) =>
      throwError(() => (error instanceof HttpErrorResponse ? toProblem(error) : error)),
    ),
  );

/** What to tell the user about a failure, whatever was thrown. */
export function problemMessage(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong.';
}
