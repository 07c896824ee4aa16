import { SpotifyRateLimitedError } from '../errors.ts';
import type { UpstreamResponse } from './upstream.ts';

/** Spotify's 429 with its `Retry-After` in seconds; a missing or odd value reads as one second. */
export function rateLimitOf(response: UpstreamResponse): SpotifyRateLimitedError {
  const header = response.headers['retry-after'];
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return new SpotifyRateLimitedError(Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 1);
}
