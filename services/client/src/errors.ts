import { HttpError } from '@music/service-kit';

/**
 * Spotify could not give an answer. Every message starts by saying so and never carries upstream
 * bodies, URLs with credentials or stack traces. `retryable`: another attempt may succeed;
 * `upstreamFailure`: counts against Spotify's health in the circuit breaker.
 */
export class SpotifyError extends HttpError {
  readonly retryable: boolean;
  readonly upstreamFailure: boolean;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    options: { retryable: boolean; upstreamFailure: boolean; retryAfterSeconds?: number; cause?: unknown },
  ) {
    const headers =
      options.retryAfterSeconds === undefined ? {} : { 'retry-after': String(options.retryAfterSeconds) };
    const title =
      statusCode === 504 ? 'Gateway timeout' : statusCode === 502 ? 'Bad gateway' : 'Service unavailable';
    super(statusCode, code, title, message, { headers, cause: options.cause });
    this.retryable = options.retryable;
    this.upstreamFailure = options.upstreamFailure;
  }
}

export class SpotifyUnavailableError extends SpotifyError {
  constructor(reason: string, cause?: unknown) {
    super(503, 'SPOTIFY_UNAVAILABLE', `Spotify is unavailable: ${reason}.`, {
      retryable: true,
      upstreamFailure: true,
      cause,
    });
  }
}

export class SpotifyTimeoutError extends SpotifyError {
  constructor(timeoutMs: number, cause?: unknown) {
    super(504, 'SPOTIFY_TIMEOUT', `Spotify is unavailable: it did not answer within ${timeoutMs} ms.`, {
      retryable: true,
      upstreamFailure: true,
      cause,
    });
  }
}

export class SpotifyBadResponseError extends SpotifyError {
  constructor(reason: string, cause?: unknown) {
    super(502, 'SPOTIFY_BAD_RESPONSE', `Spotify is unavailable: ${reason}.`, {
      retryable: false,
      upstreamFailure: true,
      cause,
    });
  }
}

export class SpotifyRateLimitedError extends SpotifyError {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(503, 'SPOTIFY_RATE_LIMITED', `Spotify is unavailable: it asks to wait ${retryAfterSeconds} s.`, {
      retryable: false,
      upstreamFailure: false,
      retryAfterSeconds,
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class SpotifyCircuitOpenError extends SpotifyError {
  constructor(retryAfterSeconds: number) {
    super(
      503,
      'SPOTIFY_CIRCUIT_OPEN',
      `Spotify is unavailable: calls are paused after repeated failures; retry in ${retryAfterSeconds} s.`,
      { retryable: false, upstreamFailure: false, retryAfterSeconds },
    );
  }
}

/** Spotify refused this service's client id or secret: an operator must fix the configuration. */
export class SpotifyCredentialsError extends SpotifyError {
  constructor() {
    super(
      503,
      'SPOTIFY_CREDENTIALS_REJECTED',
      "Spotify is unavailable: it rejected this service's credentials.",
      {
        retryable: false,
        upstreamFailure: false,
      },
    );
  }
}

/** FAILURE_RATE at work: the 500 a canary demo asked for. */
export class InjectedFailureError extends HttpError {
  constructor() {
    super(500, 'INJECTED_FAILURE', 'Internal error', 'This failure was injected by FAILURE_RATE for a demo.');
  }
}
