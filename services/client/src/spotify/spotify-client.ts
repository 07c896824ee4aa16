import { type FieldError, ValidationError } from '@music/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { SpotifyBadResponseError, SpotifyCredentialsError, SpotifyUnavailableError } from '../errors.ts';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.ts';
import { rateLimitOf } from './rate-limit.ts';
import { type RetryPolicy, withRetry } from './retry.ts';
import { SpotifySearch, SpotifyTrack } from './schema.ts';
import { TokenProvider } from './token-provider.ts';
import { Upstream, type UpstreamOptions, type UpstreamResponse } from './upstream.ts';

export interface SpotifyClientOptions {
  apiUrl: string;
  accountsUrl: string;
  clientId: string;
  clientSecret: string;
  connectTimeoutMs: number;
  timeoutMs: number;
  proxy?: UpstreamOptions['proxy'];
  retry: Omit<RetryPolicy, 'onRetry' | 'random'>;
  breaker: { threshold: number; cooldownMs: number };
  log: FastifyBaseLogger;
}

export interface SearchRequest {
  q: string;
  limit: number;
  offset: number;
}

/** Trace headers of the request being served, copied onto every call it causes. */
export type TraceHeaders = Record<string, string>;

/**
 * Spotify's Web API as two calls. Each attempt takes a (cached) token and, on a 401, one fresh
 * token and a second try; attempts run inside the circuit breaker, and failed attempts are retried
 * by the retry policy.
 */
export class SpotifyClient {
  readonly #apiUrl: string;
  readonly #upstream: Upstream;
  readonly #tokens: TokenProvider;
  readonly #breaker: CircuitBreaker;
  readonly #retry: RetryPolicy;

  constructor(options: SpotifyClientOptions) {
    const { log } = options;
    this.#apiUrl = options.apiUrl;
    this.#upstream = new Upstream({
      connectTimeoutMs: options.connectTimeoutMs,
      timeoutMs: options.timeoutMs,
      ...(options.proxy ? { proxy: options.proxy } : {}),
    });
    this.#tokens = new TokenProvider(this.#upstream, {
      accountsUrl: options.accountsUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      log,
    });
    this.#breaker = new CircuitBreaker({
      ...options.breaker,
      onChange: (state) => log.warn({ circuit: state }, `Spotify circuit ${state}`),
    });
    this.#retry = {
      ...options.retry,
      onRetry: (event) => log.warn(event, 'retrying Spotify call'),
    };
  }

  get circuitState(): CircuitState {
    return this.#breaker.state;
  }

  async search(request: SearchRequest, trace: TraceHeaders): Promise<SpotifySearch> {
    const params = new URLSearchParams({
      q: request.q,
      type: 'track',
      limit: String(request.limit),
      offset: String(request.offset),
    });
    const found = await this.#get(`/search?${params}`, SpotifySearch, trace);
    if (!found) throw new SpotifyBadResponseError('its search answered 404');
    return found;
  }

  /** The track, or null when Spotify has no track with this id. */
  track(id: string, trace: TraceHeaders): Promise<SpotifyTrack | null> {
    return this.#get(`/tracks/${encodeURIComponent(id)}`, SpotifyTrack, trace);
  }

  close(): Promise<void> {
    return this.#upstream.close();
  }

  #get<S extends TSchema>(path: string, schema: S, trace: TraceHeaders): Promise<Static<S> | null> {
    const url = `${this.#apiUrl}${path}`;
    return withRetry(() => this.#breaker.call(() => this.#attempt(url, schema, trace)), this.#retry);
  }

  async #attempt<S extends TSchema>(url: string, schema: S, trace: TraceHeaders): Promise<Static<S> | null> {
    const send = (token: string) =>
      this.#upstream.send(url, {
        method: 'GET',
        headers: { ...trace, authorization: `Bearer ${token}`, accept: 'application/json' },
      });
    const token = await this.#tokens.token(trace);
    let response = await send(token);
    if (response.status === 401) {
      this.#tokens.invalidate(token);
      response = await send(await this.#tokens.token(trace));
      if (response.status === 401) throw new SpotifyCredentialsError();
    }
    return read(response, schema);
  }
}

function read<S extends TSchema>(response: UpstreamResponse, schema: S): Static<S> | null {
  const { status } = response;
  if (status === 404) return null;
  if (status === 400) throw new ValidationError([fieldOf(response.body)]);
  if (status === 429) throw rateLimitOf(response);
  if (status >= 500) throw new SpotifyUnavailableError(`it answered ${status}`);
  if (status !== 200) throw new SpotifyBadResponseError(`it answered ${status}`);
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch (error) {
    throw new SpotifyBadResponseError('it sent malformed JSON', error);
  }
  if (!Value.Check(schema, body))
    throw new SpotifyBadResponseError('it sent an answer of an unexpected shape');
  return body;
}

/** Names our parameter a Spotify 400 is about, from its message ("Invalid limit", "No search query"...). */
function fieldOf(body: string): FieldError {
  let message = '';
  try {
    message = String((JSON.parse(body) as { error?: { message?: unknown } }).error?.message ?? '');
  } catch {
    // A 400 without Spotify's error object still means our request was refused.
  }
  const field = /\blimit\b/i.test(message)
    ? 'limit'
    : /\boffset\b/i.test(message)
      ? 'offset'
      : /\bid\b/i.test(message)
        ? 'id'
        : 'q';
  return { field, message: `was refused by Spotify${message ? `: ${message}` : ''}` };
}
