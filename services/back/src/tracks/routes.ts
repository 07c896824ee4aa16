import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { linkHeader, parseSort, requirePrincipal } from '@music/service-kit';
import { Type } from 'typebox';
import { TrackNotFoundError } from '../errors.ts';
import type { Features } from '../features.ts';
import { normalizeTrack } from './input.ts';
import type { TrackCriteria, TrackRepository } from './repository.ts';
import {
  RatedTrack,
  type SortField,
  Track,
  TrackInput,
  TrackParams,
  type TrackQuery,
  trackQuery,
} from './schema.ts';

const BASE = '/back/api/tracks';

export const trackRoutes: FastifyPluginAsyncTypebox<{ tracks: TrackRepository; features: Features }> = async (
  app,
  { tracks, features },
) => {
  const listCriteria = criteriaFor(features);

  app.get(
    '/',
    {
      schema: {
        querystring: trackQuery(features),
        response: { 200: Type.Array(features.ratings ? RatedTrack : Track) },
      },
    },
    async (request, reply) => {
      const criteria = listCriteria(request.query, requirePrincipal(request).login);
      const result = await tracks.page(criteria);
      const linked = { sort: request.query.sort, ...(criteria.search ? { q: criteria.search } : {}) };
      reply.header('x-total-count', result.total);
      reply.header('link', linkHeader(BASE, linked, criteria.page, criteria.size, result.total));
      return result.items;
    },
  );

  app.post('/', { schema: { body: TrackInput, response: { 201: Track } } }, async (request, reply) => {
    const track = await tracks.create(normalizeTrack(request.body), requirePrincipal(request).login);
    return reply.code(201).header('location', `${BASE}/${track.id}`).send(track);
  });

  app.get('/:id', { schema: { params: TrackParams, response: { 200: Track } } }, async (request) => {
    return (await tracks.find(request.params.id)) ?? notFound(request.params.id);
  });

  app.put(
    '/:id',
    { schema: { params: TrackParams, body: TrackInput, response: { 200: Track } } },
    async (request) => {
      return (
        (await tracks.update(request.params.id, normalizeTrack(request.body))) ?? notFound(request.params.id)
      );
    },
  );

  app.delete('/:id', { schema: { params: TrackParams } }, async (request, reply) => {
    if (!(await tracks.delete(request.params.id))) notFound(request.params.id);
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
