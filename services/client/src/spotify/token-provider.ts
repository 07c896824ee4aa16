import type { FastifyBaseLogger } from 'fastify';
import { SpotifyBadResponseError, SpotifyCredentialsError, SpotifyUnavailableError } from '../errors.ts';
import { rateLimitOf } from './rate-limit.ts';
import type { Upstream } from './upstream.ts';

export interface TokenProviderOptions {
  accountsUrl: string;
  clientId: string;
  clientSecret: string;
  log: FastifyBaseLogger;
  now?: () => number;
}

interface CachedToken {
  value: string;
  refreshAt: number;
}

/**
 * OAuth client credentials with one cached token. It is replaced before it expires (after 90% of
 * its life, at most 60 s early) and concurrent callers share a single fetch. The secret lives only
 * in the Basic header kept here, and is never logged or put in an error.
 */
export class TokenProvider {
  readonly #upstream: Upstream;
  readonly #url: string;
  readonly #authorization: string;
  readonly #log: FastifyBaseLogger;
  readonly #now: () => number;
  #current: CachedToken | null = null;
  #pending: Promise<string> | null = null;

  constructor(upstream: Upstream, options: TokenProviderOptions) {
    this.#upstream = upstream;
    this.#url = options.accountsUrl;
    this.#authorization = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
  }

  token(trace: Record<string, string>): Promise<string> {
    if (this.#current && this.#now() < this.#current.refreshAt) return Promise.resolve(this.#current.value);
    this.#pending ??= this.#fetch(trace).finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  /** Spotify refused `token` (expired or revoked early): the next call fetches a new one. */
  invalidate(token: string): void {
    if (this.#current?.value === token) this.#current = null;
  }

  async #fetch(trace: Record<string, string>): Promise<string> {
    const response = await this.#upstream.send(this.#url, {
      method: 'POST',
      headers: {
        ...trace,
        authorization: this.#authorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
    });
    if (response.status === 429) throw rateLimitOf(response);
    if (response.status >= 500)
      throw new SpotifyUnavailableError(`its accounts service answered ${response.status}`);
    if (response.status === 400 || response.status === 401) {
      this.#log.error({ status: response.status }, 'Spotify rejected the client credentials');
      throw new SpotifyCredentialsError();
    }
    const grant = parseGrant(response.status, response.body);
    const lifetimeMs = grant.expiresIn * 1000;
    const refreshAt = this.#now() + lifetimeMs - Math.min(lifetimeMs * 0.1, 60_000);
    this.#current = { value: grant.accessToken, refreshAt };
    this.#log.debug({ expiresIn: grant.expiresIn }, 'Spotify access token fetched');
    return grant.accessToken;
  }
}

function parseGrant(status: number, body: string): { accessToken: string; expiresIn: number } {
  if (status !== 200) throw new SpotifyBadResponseError(`its accounts service answered ${status}`);
  let grant: unknown;
  try {
    grant = JSON.parse(body);
  } catch (error) {
    throw new SpotifyBadResponseError('its accounts service sent malformed JSON', error);
  }
  const { access_token: accessToken, expires_in: expiresIn } = (grant ?? {}) as Record<string, unknown>;
  if (
    typeof accessToken !== 'string' ||
    accessToken === '' ||
    typeof expiresIn !== 'number' ||
    expiresIn <= 0
  )
    throw new SpotifyBadResponseError('its accounts service sent no usable token');
  return { accessToken, expiresIn };
}
