import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyRequest } from 'fastify';
import type { TokenStore } from '../accounts/tokens.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { searchTracks } from '../catalog/search.ts';
import { isSpotifyId } from '../catalog/spotify-id.ts';
import { WebApiError } from '../errors.ts';
import type { Faults } from './faults.ts';
import { pagingObject } from './paging.ts';
import type { RateLimiter } from './rate-limit.ts';
import { SEARCH_TYPES, SearchQuery, TrackParams, TrackQuery } from './schema.ts';
import { trackObject } from './track-object.ts';

export interface WebApiOptions {
  catalog: Catalog;
  tokens: TokenStore;
  limiter: RateLimiter;
  faults: Faults;
  origin: (request: FastifyRequest) => string;
}

/** The Web API under `/v1`: every call needs a bearer token, counts against the rate limit and may meet a fault. */
export const webApiRoutes: FastifyPluginAsyncTypebox<WebApiOptions> = async (app, options) => {
  const { catalog, tokens, limiter, faults, origin } = options;

  app.addHook('onRequest', async (request) => {
    await faults.apply();
    limiter.take(tokens.verify(request.headers.authorization));
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = toWebApiError(error);
    if (answer.statusCode >= 500 && answer.code !== 'INJECTED_FAILURE')
      request.log.error({ err: error }, 'request failed');
    return reply.code(answer.statusCode).headers(answer.headers).send(answer.toJSON());
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send(new WebApiError(404, 'NOT_FOUND', 'Service not found').toJSON()),
  );

  app.get('/search', { schema: { querystring: SearchQuery } }, async (request) => {
    const { limit, offset, type } = request.query;
    const q = (request.query.q ?? request.query.query ?? '').trim();
    if (q === '') throw new WebApiError(400, 'NO_QUERY', 'No search query');
    if (!type) throw new WebApiError(400, 'NO_TYPE', 'Missing parameter type');
    const types = type.split(',');
    if (types.some((t) => !SEARCH_TYPES.includes(t)))
      throw new WebApiError(400, 'BAD_TYPE', 'Bad search type field');

    const page = { origin: origin(request), q, type, limit, offset };
    const tracks = searchTracks(catalog.tracks, q);
    // Only tracks are catalogued; other types Spotify knows answer an empty page.
    return Object.fromEntries(
      types.map((t) => [
        `${t}s`,
        t === 'track'
          ? pagingObject(tracks, page, (track) => trackObject(track, page.origin))
          : pagingObject([], page, () => null),
      ]),
    );
  });

  app.get('/tracks/:id', { schema: { params: TrackParams, querystring: TrackQuery } }, async (request) => {
    const { id } = request.params;
    if (!isSpotifyId(id)) throw new WebApiError(400, 'INVALID_ID', 'Invalid base62 id');
    const track = catalog.track(id);
    if (!track) throw new WebApiError(404, 'NOT_FOUND', 'Non existing id');
    return trackObject(track, origin(request));
  });
};

function toWebApiError(error: FastifyError): WebApiError {
  if (error instanceof WebApiError) return error;
  if (error.validation) {
    const field = error.validation[0]?.instancePath.split('/')[1] ?? 'request';
    return new WebApiError(400, 'INVALID', field === 'market' ? 'Invalid market code' : `Invalid ${field}`);
  }
  const status = error.statusCode ?? 500;
  if (status < 500) return new WebApiError(status, 'BAD_REQUEST', error.message);
  return new WebApiError(500, 'INTERNAL', 'Server error.');
}
