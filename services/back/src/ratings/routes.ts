import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requirePrincipal } from '@music/service-kit';
import { TrackNotFoundError } from '../errors.ts';
import { TrackParams } from '../tracks/schema.ts';
import { RatingRepository } from './repository.ts';
import { Rating, RatingInput } from './schema.ts';

/** `PUT` and `DELETE /back/api/tracks/{id}/rating`: the caller's own stars for a track (back v2). */
export const ratingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.put(
    '/:id/rating',
    { schema: { params: TrackParams, body: RatingInput, response: { 200: Rating } } },
    async (request) => {
      const { id } = request.params;
      const ratings = new RatingRepository(request.db);
      const rating = await ratings.rate(id, requirePrincipal(request).login, request.body.stars);
      if (rating === null) throw new TrackNotFoundError(id);
      return rating;
    },
  );

  app.delete('/:id/rating', { schema: { params: TrackParams } }, async (request, reply) => {
    const { id } = request.params;
    const ratings = new RatingRepository(request.db);
    if (!(await ratings.remove(id, requirePrincipal(request).login))) throw new TrackNotFoundError(id);
    return reply.code(204).send();
  });
};
