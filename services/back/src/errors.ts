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

/**
 * back v3 could not get Spotify's answer through `client`. The detail always starts with "Spotify
 * is unavailable"; when client answered a problem (SPOTIFY_UNAVAILABLE, SPOTIFY_TIMEOUT...), its
 * status, code, detail and Retry-After are passed on, so the user learns what client learned.
 */
export class SpotifyUnavailableError extends HttpError {
  constructor(
    statusCode: 502 | 503 | 504,
    code: string,
    message: string,
    options: { retryAfter?: string; cause?: unknown } = {},
  ) {
    const title =
      statusCode === 504 ? 'Gateway timeout' : statusCode === 502 ? 'Bad gateway' : 'Service unavailable';
    const headers = options.retryAfter === undefined ? {} : { 'retry-after': options.retryAfter };
    const detail = message.startsWith('Spotify is unavailable')
      ? message
      : `Spotify is unavailable: ${message}`;
    super(statusCode, code, title, detail, { headers, cause: options.cause });
  }
}

export class SpotifyTrackNotFoundError extends NotFoundError {
  constructor(spotifyId: string) {
    super(`Spotify has no track ${spotifyId}.`);
  }
}
