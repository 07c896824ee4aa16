import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleError, ConsoleRequestError } from './errors.ts';

/** What the pages are told by the server that serves them (embedded in index.html). */
export interface PageSettings {
  /** Where to send requests, for the graph's empty state (the runtime's ingress). */
  readonly ingressUrl?: string | undefined;
  /** The namespace the graph shows first (the profile's; Music: `music`). */
  readonly namespace?: string | undefined;
}

export interface PagesOptions {
  /** The built app's folder (`ng build` of mesh/console/web); default mesh/console/dist/browser. */
  readonly dir?: string | undefined;
  readonly settings?: PageSettings | undefined;
}

const builtDir = fileURLToPath(new URL('../dist/browser/', import.meta.url));
export const buildCommand = 'npm run build --workspace mesh';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

// The builder names its bundles `<name>-<8-character hash>.js|css` (outputHashing: all).
const hashed = /-[\w-]{8}\.(?:js|css)$/;

// Angular's inline styles need 'unsafe-inline'; scripts come from the console's own files only.
const contentSecurityPolicy =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

/** `/`, `/console...` and Kiali's `/kiali/console...`: the paths the pages answer. */
export function isPagePath(pathname: string): boolean {
  return (
    pathname === '/' ||
    pathname === '/console' ||
    pathname.startsWith('/console/') ||
    pathname === '/kiali' ||
    pathname.startsWith('/kiali/')
  );
}

/**
 * The console's Angular app under `/console/`: its hashed bundles cached for good, index.html
 * never (it names the bundles of the current build), any other path without a file extension
 * answered with index.html for the app's router. `/` and Kiali's `/kiali/console/...` (the
 * tutorial's link) redirect there.
 */
export async function servePages(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  options: PagesOptions = {},
): Promise<void> {
  const kiali = /^\/kiali(?:\/console)?(\/.*)?$/.exec(url.pathname);
  if (url.pathname === '/' || url.pathname === '/console' || kiali) {
    res.writeHead(302, { location: `/console${kiali?.[1] ?? '/'}${url.search}` });
    return void res.end();
  }
  const dir = options.dir ?? builtDir;
  const path = posix.normalize(decoded(url.pathname).slice('/console/'.length));
  if (path.startsWith('..') || path.includes('\0')) throw notFound(url);
  const file = path === '.' || path === '' ? 'index.html' : path;
  const body = await readOrUndefined(join(dir, file));
  if (body && file !== 'index.html') {
    const type = contentTypes[extname(file)] ?? 'application/octet-stream';
    const cache = hashed.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache';
    return send(req, res, body, type, cache);
  }
  if (extname(file) !== '' && file !== 'index.html') throw notFound(url);
  const index = await readOrUndefined(join(dir, 'index.html'));
  if (!index)
    throw new ConsoleError(
      'CONSOLE_NOT_BUILT',
      404,
      `the console's pages are not built: run \`${buildCommand}\` (npm install does it too)`,
    );
  return send(req, res, withSettings(index, options.settings ?? {}), 'text/html; charset=utf-8', 'no-store');
}

/** The settings as a JSON script the app reads at start (`<` escaped: it cannot end the script). */
function withSettings(index: Buffer, settings: PageSettings): Buffer {
  const json = JSON.stringify(settings).replaceAll('<', '\\u003c');
  const tag = `<script id="console-settings" type="application/json">${json}</script>`;
  return Buffer.from(index.toString('utf8').replace('</head>', `${tag}</head>`));
}

function send(req: IncomingMessage, res: ServerResponse, body: Buffer, type: string, cache: string): void {
  res.writeHead(200, {
    'content-type': type,
    'content-length': body.length,
    'cache-control': cache,
    'x-content-type-options': 'nosniff',
    ...(type.startsWith('text/html') ? { 'content-security-policy': contentSecurityPolicy } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function decoded(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    throw new ConsoleRequestError('BAD_PATH', 400, `${pathname} is not a valid percent-encoded path`);
  }
}

function notFound(url: URL): ConsoleRequestError {
  return new ConsoleRequestError('NOT_FOUND', 404, `nothing at ${url.pathname}`);
}

async function readOrUndefined(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}
