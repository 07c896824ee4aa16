import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requirePrincipal } from '@music/service-kit';
import { TrackRepository } from '../tracks/repository.ts';
import { LibraryTrack, SpotifyIdInput } from '../tracks/schema.ts';
import type { SpotifyCatalog } from './catalog.ts';
import { forwardedHeaders } from './forwarded.ts';

/**
 * `POST /back/api/library {spotifyId}` (back v3): saves a Spotify track as a library track. 201
 * with the new track, or 200 with the one saved before: saving twice is harmless.
 */
export const libraryRoutes: FastifyPluginAsyncTypebox<{ catalog: SpotifyCatalog }> = async (
  app,
  { catalog },
) => {
  app.post(
    '/',
    { schema: { body: SpotifyIdInput, response: { 200: LibraryTrack, 201: LibraryTrack } } },
    async (request, reply) => {
      const { track, created } = await catalog.save(
        request.body.spotifyId,
        new TrackRepository(request.db),
        requirePrincipal(request).login,
        forwardedHeaders(request),
      );
      return reply
        .code(created ? 201 : 200)
        .header('location', `/back/api/tracks/${track.id}`)
        .send(track);
    },
  );
};
