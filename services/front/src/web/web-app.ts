import { stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import { ServiceUnavailableError } from '@music/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Paths that belong to the server: an unknown one is a 404 problem, never the app. */
const SERVER_PATHS = /^\/(api|management|\.well-known)(\/|$)/;
/** Angular's output hashing (`main-ABCD1234.js`): such a file never changes, so it may be cached for good. */
const HASHED = /-[A-Z0-9]{8}\.[a-z0-9]+$/;

/**
 * Serves the built Angular app from `root`. A browser navigation to a client-side route (a GET that
 * accepts HTML and names no file) gets index.html, so deep links and reloads work. Files are looked up
 * per request, so a rebuild needs no restart.
 */
export async function registerWebApp(app: FastifyInstance, root: string): Promise<void> {
  await app.register(fastifyStatic, { root, serve: false, cacheControl: false, dotfiles: 'ignore' });

  app.get('/*', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (SERVER_PATHS.test(path)) return reply.callNotFound();
    const file = path === '/' ? null : await fileIn(root, path);
    if (file) return reply.header('cache-control', HASHED.test(file) ? IMMUTABLE : 'no-cache').sendFile(file);
    if (path !== '/' && !acceptsHtml(request)) return reply.callNotFound();
    if (!(await fileIn(root, '/index.html'))) {
      throw new ServiceUnavailableError('The web app is not built: run `npm run build -w services/front`.');
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The file a URL path names inside root, relative to it; null when there is none or it would leave root. */
async function fileIn(root: string, urlPath: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.split('/').includes('..')) return null;
  const relative = normalize(decoded).replace(/^[/\\]+/, '');
  const stats = await stat(join(root, relative)).catch(() => null);
  return stats?.isFile() && !relative.startsWith(`..${sep}`) ? relative : null;
}

function acceptsHtml(request: FastifyRequest): boolean {
  return request.headers.accept?.includes('text/html') ?? false;
}
