import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { traceHeaders } from '@music/service-kit';
import { Type } from 'typebox';
import { offsetLinkHeader } from './paging.ts';
import { SearchQuery, Track, TrackParams } from './schema.ts';
import type { TrackCatalog } from './track-catalog.ts';

const SEARCH = '/client/api/search';

export const trackRoutes: FastifyPluginAsyncTypebox<{ catalog: TrackCatalog }> = async (app, { catalog }) => {
  app.get(
    '/search',
    { schema: { querystring: SearchQuery, response: { 200: Type.Array(Track) } } },
    async (request, reply) => {
      const { q, limit, offset } = request.query;
      const { value, cache } = await catalog.search({ q, limit, offset }, traceHeaders(request));
      reply.header('x-cache', cache);
      reply.header('x-total-count', value.total);
      reply.header('link', offsetLinkHeader(SEARCH, q, limit, offset, value.total));
      return value.items;
    },
  );

  app.get(
    '/tracks/:id',
    { schema: { params: TrackParams, response: { 200: Track } } },
    async (request, reply) => {
      const { value, cache } = await catalog.track(request.params.id, traceHeaders(request));
      reply.header('x-cache', cache);
      return value;
    },
  );
};
