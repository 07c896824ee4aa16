import { HttpError, NotFoundError } from '@music/service-kit';

export class TrackNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`Track ${id} does not exist.`);
  }
}

/** A 500 that FAILURE_RATE asked for, so a client (and the mesh's retries) can tell it from a bug. */
export class InjectedFailureError extends HttpError {
  constructor(failureRate: number) {
    super(
      500,
      'INJECTED_FAILURE',
      'Injected failure',
      `This is an injected failure: this instance fails ${Math.round(failureRate * 100)}% of API requests (FAILURE_RATE=${failureRate}).`,
    );
  }
}
