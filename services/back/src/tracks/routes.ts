import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { linkHeader, parseSort, requirePrincipal } from '@music/service-kit';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { TrackNotFoundError } from '../errors.ts';
import type { Features } from '../features.ts';
import type { SpotifyCatalog } from '../spotify/catalog.ts';
import { forwardedHeaders } from '../spotify/forwarded.ts';
import { normalizeTrack } from './input.ts';
import { type TrackCriteria, TrackRepository } from './repository.ts';
import {
  LibraryTrack,
  ListItem,
  RatedTrack,
  type SortField,
  Track,
  TrackInput,
  TrackParams,
  type TrackQuery,
  trackQuery,
} from './schema.ts';

const BASE = '/back/api/tracks';

/**
 * The tracks API. Repositories are made per request on `request.db`, so a mirrored write runs in
 * a transaction that is rolled back (shadow-writes.ts). With `catalog` (back v3) the list shows
 * Spotify unless `source=library` asks for our tracks.
 */
export const trackRoutes: FastifyPluginAsyncTypebox<{
  features: Features;
  catalog?: SpotifyCatalog;
}> = async (app, { features, catalog }) => {
  const listCriteria = criteriaFor(features);
  const tracksOf = (request: FastifyRequest) => new TrackRepository(request.db);
  // Typed as the widest shape; older versions' schemas leave out the fields they do not have.
  const item = (features.spotify ? ListItem : features.ratings ? RatedTrack : Track) as typeof ListItem;
  const one = (features.spotify ? LibraryTrack : Track) as typeof LibraryTrack;

  app.get(
    '/',
    { schema: { querystring: trackQuery(features), response: { 200: Type.Array(item) } } },
    async (request, reply) => {
      const { query } = request;
      const login = requirePrincipal(request).login;
      if (catalog !== undefined && query.source !== 'library') {
        const page = { q: query.q, page: query.page, size: query.size };
        const result = await catalog.page(page, tracksOf(request), forwardedHeaders(request), login);
        const q = query.q?.trim();
        reply.header('x-total-count', result.total);
        reply.header('link', linkHeader(BASE, q ? { q } : {}, page.page, page.size, result.total));
        if (result.cache !== undefined) reply.header('x-cache', result.cache);
        return result.items;
      }
      const criteria = listCriteria(query, login);
      const result = await tracksOf(request).page(criteria);
      const linked = {
        ...(query.source === 'library' ? { source: 'library' } : {}),
        sort: query.sort,
        ...(criteria.search ? { q: criteria.search } : {}),
      };
      reply.header('x-total-count', result.total);
      reply.header('link', linkHeader(BASE, linked, criteria.page, criteria.size, result.total));
      return result.items;
    },
  );

  app.post('/', { schema: { body: TrackInput, response: { 201: one } } }, async (request, reply) => {
    const track = await tracksOf(request).create(
      normalizeTrack(request.body),
      requirePrincipal(request).login,
    );
    return reply.code(201).header('location', `${BASE}/${track.id}`).send(track);
  });

  app.get('/:id', { schema: { params: TrackParams, response: { 200: one } } }, async (request) => {
    return (await tracksOf(request).find(request.params.id)) ?? notFound(request.params.id);
  });

  app.put(
    '/:id',
    { schema: { params: TrackParams, body: TrackInput, response: { 200: one } } },
    async (request) => {
      const track = await tracksOf(request).update(request.params.id, normalizeTrack(request.body));
      return track ?? notFound(request.params.id);
    },
  );

  app.delete('/:id', { schema: { params: TrackParams } }, async (request, reply) => {
    if (!(await tracksOf(request).delete(request.params.id))) notFound(request.params.id);
    return reply.code(204).send();
  });
};

/** How this version reads the list's query: `q` counts only with search, ratings only with ratings. */
function criteriaFor(features: Features): (query: TrackQuery, login: string) => TrackCriteria {
  return (query, login) => {
    const search = features.search ? query.q?.trim() : undefined;
    return {
      page: query.page,
      size: query.size,
      sort: parseSort<SortField>(query.sort),
      ...(search ? { search } : {}),
      ...(features.ratings ? { ratingsFor: login } : {}),
    };
  };
}

function notFound(id: string): never {
  throw new TrackNotFoundError(id);
}
