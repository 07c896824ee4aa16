import type { FastifyPluginAsync } from 'fastify';
import type { Catalog } from '../catalog/catalog.ts';
import { coverSvg } from './cover.ts';

/** `GET /images/<albumId>.svg`: the album art the track objects link to. */
export const imageRoutes: FastifyPluginAsync<{ catalog: Catalog }> = async (app, { catalog }) => {
  app.get<{ Params: { file: string } }>('/images/:file', async (request, reply) => {
    const album = catalog.album(request.params.file.replace(/\.svg$/, ''));
    if (!album || !request.params.file.endsWith('.svg')) return reply.callNotFound();
    return reply
      .type('image/svg+xml')
      .header('cache-control', 'public, max-age=86400, immutable')
      .send(coverSvg(album.id, album.name));
  });
};
