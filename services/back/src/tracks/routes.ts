import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { linkHeader, NotFoundError, parseSort, requirePrincipal } from '@music/service-kit';
import { Type } from 'typebox';
import { normalizeTrack } from './input.ts';
import type { TrackRepository } from './repository.ts';
import { type SortField, Track, TrackInput, TrackParams, TrackQuery } from './schema.ts';

const BASE = '/back/api/tracks';

export const trackRoutes: FastifyPluginAsyncTypebox<{ tracks: TrackRepository }> = async (
  app,
  { tracks },
) => {
  app.get(
    '/',
    { schema: { querystring: TrackQuery, response: { 200: Type.Array(Track) } } },
    async (request, reply) => {
      const { page, size, sort } = request.query;
      const result = await tracks.page(page, size, parseSort<SortField>(sort));
      reply.header('x-total-count', result.total);
      reply.header('link', linkHeader(BASE, request.query, page, size, result.total));
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

function notFound(id: string): never {
  throw new NotFoundError(`Track ${id} does not exist.`);
}
