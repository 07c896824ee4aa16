import http from 'node:http';
import { type FieldError, ValidationError } from '@music/service-kit';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { SpotifyTrackNotFoundError, SpotifyUnavailableError } from '../errors.ts';

/** A track as `client` answers it (services/client/README.md). */
export const SpotifyTrack = Type.Object({
  id: Type.String(),
  title: Type.String(),
  artist: Type.String(),
  album: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  spotifyId: Type.String(),
  popularity: Type.Union([Type.Integer(), Type.Null()]),
  albumArtUrl: Type.Union([Type.String(), Type.Null()]),
  previewUrl: Type.Union([Type.String(), Type.Null()]),
  releaseYear: Type.Union([Type.Integer(), Type.Null()]),
});
export type SpotifyTrack = Static<typeof SpotifyTrack>;

const SpotifyTracks = Type.Array(SpotifyTrack);

export interface ClientApiOptions {
  /** `http://client:8080`. */
  url: string;
  timeoutMs: number;
  /** The outbound proxy (HTTP_PROXY) and the hosts it is bypassed for (NO_PROXY). */
  proxy?: { httpProxy: string; noProxy?: string | undefined } | undefined;
}

/** Headers a call carries on behalf of the request being served: trace context and the caller's token. */
export type ForwardedHeaders = Record<string, string>;

interface Exchange {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** The most a page of tracks from client may weigh. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * The `client` service, as back v3 calls it: a service-to-service call through the mesh. Plain
 * `http.request` on a keep-alive agent that honours HTTP_PROXY/NO_PROXY as given (the local
 * runtime's sidecar listener; Node then sends absolute-form requests to it), with one deadline
 * for the whole exchange. Whatever goes wrong becomes a `SpotifyUnavailableError` (502/503/504
 * problem), never a 500.
 */
export class ClientApi {
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #agent: http.Agent;

  constructor(options: ClientApiOptions) {
    this.#url = options.url;
    this.#timeoutMs = options.timeoutMs;
    const proxy = options.proxy;
    this.#agent = new http.Agent({
      keepAlive: true,
      ...(proxy
        ? { proxyEnv: { HTTP_PROXY: proxy.httpProxy, ...(proxy.noProxy ? { NO_PROXY: proxy.noProxy } : {}) } }
        : {}),
    });
  }

  /** A page of Spotify's search; `total` is what Spotify counts, `cache` client's X-Cache. */
  async search(
    request: { q: string; limit: number; offset: number },
    headers: ForwardedHeaders,
  ): Promise<{ items: SpotifyTrack[]; total: number; cache: string | undefined }> {
    const params = new URLSearchParams({
      q: request.q,
      limit: String(request.limit),
      offset: String(request.offset),
    });
    const answer = await this.#get(`/client/api/search?${params}`, headers);
    if (answer.status !== 200) throw failureOf(answer);
    const items = parse(answer, SpotifyTracks);
    const total = Number(answer.headers['x-total-count']);
    return {
      items,
      total: Number.isSafeInteger(total) ? total : items.length,
      cache: headerOf(answer, 'x-cache'),
    };
  }

  /** One track by Spotify id; a 404 problem when Spotify has none. */
  async track(spotifyId: string, headers: ForwardedHeaders): Promise<SpotifyTrack> {
    const answer = await this.#get(`/client/api/tracks/${encodeURIComponent(spotifyId)}`, headers);
    if (answer.status === 404) throw new SpotifyTrackNotFoundError(spotifyId);
    if (answer.status !== 200) throw failureOf(answer);
    return parse(answer, SpotifyTrack);
  }

  close(): void {
    this.#agent.destroy();
  }

  #get(path: string, headers: ForwardedHeaders): Promise<Exchange> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    return new Promise<Exchange>((resolve, reject) => {
      const fail = (error: unknown) =>
        reject(
          signal.aborted
            ? new SpotifyUnavailableError(
                504,
                'CLIENT_TIMEOUT',
                `the client service did not answer within ${this.#timeoutMs} ms.`,
                { cause: error },
              )
            : new SpotifyUnavailableError(
                503,
                'CLIENT_UNAVAILABLE',
                'the client service could not be reached.',
                {
                  cause: error,
                },
              ),
        );
      const request = http.request(
        `${this.#url}${path}`,
        { agent: this.#agent, headers: { ...headers, accept: 'application/json' }, signal },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) response.destroy(new Error('answer too large'));
            else chunks.push(chunk);
          });
          response.on('error', fail);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      request.on('error', fail);
      request.end();
    });
  }
}

function headerOf(answer: Exchange, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function parse<S extends typeof SpotifyTrack | typeof SpotifyTracks>(answer: Exchange, schema: S): Static<S> {
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch (error) {
    throw new SpotifyUnavailableError(502, 'CLIENT_BAD_RESPONSE', 'the client service sent malformed JSON.', {
      cause: error,
    });
  }
  if (!Value.Check(schema, body))
    throw new SpotifyUnavailableError(
      502,
      'CLIENT_BAD_RESPONSE',
      'the client service sent an answer of an unexpected shape.',
    );
  return body as Static<S>;
}

/**
 * client's problem as ours: its 502/503/504 problems keep their status, code, detail and
 * Retry-After; the mesh's own 503/504 (no JSON: no healthy upstream, route timeout) read as client
 * unreachable or late; a 400 stays a validation error; anything else (client's 500
 * INJECTED_FAILURE...) is a 503 CLIENT_FAILED naming what client said, since a 500 would blame back.
 */
function failureOf(answer: Exchange): Error {
  const { status } = answer;
  const problem = problemOf(answer.body);
  const code = typeof problem.code === 'string' ? problem.code : undefined;
  if (status === 400) {
    const errors = Array.isArray(problem.errors) ? (problem.errors as FieldError[]) : [];
    return new ValidationError(
      errors.length > 0 ? errors : [{ field: 'q', message: 'was refused by Spotify' }],
    );
  }
  const retryAfter = headerOf(answer, 'retry-after');
  const options = retryAfter === undefined ? {} : { retryAfter };
  if (status === 502 || status === 503 || status === 504) {
    if (code !== undefined) {
      const detail = typeof problem.detail === 'string' ? problem.detail : `client answered ${status}.`;
      return new SpotifyUnavailableError(status, code, detail, options);
    }
    return status === 504
      ? new SpotifyUnavailableError(
          504,
          'CLIENT_TIMEOUT',
          'the client service did not answer in time.',
          options,
        )
      : new SpotifyUnavailableError(
          503,
          'CLIENT_UNAVAILABLE',
          `the client service could not be reached (the mesh answered ${status}).`,
          options,
        );
  }
  return new SpotifyUnavailableError(
    503,
    'CLIENT_FAILED',
    `the client service answered ${status}${code === undefined ? '' : ` ${code}`}.`,
    options,
  );
}

function problemOf(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
