import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What deploy/secrets/kustomization.yaml reads; every file is gitignored. */
export const secretFiles = {
  jwtPrivateKey: 'jwt-private-key.pem',
  jwks: 'jwks.json',
  database: 'music-db.env',
  spotify: 'spotify-credentials.env',
  admin: 'music-admin.env',
} as const;

export interface SecretOptions {
  /** DATABASE_URL of a managed database; default the in-cluster PostgreSQL with a random password. */
  readonly databaseUrl?: string | undefined;
  readonly spotifyClientId?: string | undefined;
  readonly spotifyClientSecret?: string | undefined;
  /** Password of front's `admin` account, set at its first start; default a random one. */
  readonly adminPassword?: string | undefined;
  /** Rewrite files that exist (a new signing key logs every user out). */
  readonly force?: boolean | undefined;
}

/** The in-cluster database's address, as deploy/kubernetes/postgres.yaml's Service publishes it. */
export const inClusterDatabaseHost = 'postgres.music.svc.cluster.local:5432';

/**
 * Writes the files the Secrets are generated from, each only when missing (or `force`), and
 * returns the names written. jwks.json always follows the signing key on disk, so the key the
 * RequestAuthentications trust is the one front signs with.
 */
export async function writeSecretFiles(dir: string, options: SecretOptions = {}): Promise<string[]> {
  const written: string[] = [];
  const write = async (name: string, text: string, mode: number) => {
    await writeFile(join(dir, name), text, { mode });
    written.push(name);
  };
  const missing = async (name: string) =>
    options.force === true ||
    (await access(join(dir, name)).then(
      () => false,
      () => true,
    ));

  if (await missing(secretFiles.jwtPrivateKey)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await write(
      secretFiles.jwtPrivateKey,
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      0o600,
    );
  }
  const pem = await readFile(join(dir, secretFiles.jwtPrivateKey), 'utf8');
  const jwks = `${JSON.stringify({ keys: [publicJwk(createPublicKey(pem))] })}\n`;
  const current = await readFile(join(dir, secretFiles.jwks), 'utf8').catch(() => undefined);
  if (current !== jwks) await write(secretFiles.jwks, jwks, 0o644);

  if ((await missing(secretFiles.database)) || options.databaseUrl !== undefined) {
    const password = randomSecret();
    const url = options.databaseUrl ?? `postgres://music:${password}@${inClusterDatabaseHost}/music`;
    await write(secretFiles.database, envFile({ password, url }), 0o600);
  }
  if (
    (await missing(secretFiles.spotify)) ||
    options.spotifyClientId !== undefined ||
    options.spotifyClientSecret !== undefined
  ) {
    await write(
      secretFiles.spotify,
      envFile({
        'client-id': options.spotifyClientId ?? 'music-sandbox',
        'client-secret': options.spotifyClientSecret ?? randomSecret(),
      }),
      0o600,
    );
  }
  if ((await missing(secretFiles.admin)) || options.adminPassword !== undefined) {
    await write(secretFiles.admin, envFile({ password: options.adminPassword ?? randomSecret() }), 0o600);
  }
  return written;
}

export interface PublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg: 'ES256';
  readonly use: 'sig';
}

/** The JWK front publishes at /.well-known/jwks.json: kid is the RFC 7638 thumbprint. */
export function publicJwk(publicKey: KeyObject): PublicJwk {
  const { x, y, crv } = publicKey.export({ format: 'jwk' });
  if (crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string') {
    throw new Error('the JWT signing key must be an EC P-256 key (ES256)');
  }
  const kid = createHash('sha256')
    .update(JSON.stringify({ crv, kty: 'EC', x, y }))
    .digest('base64url');
  return { kty: 'EC', crv: 'P-256', x, y, kid, alg: 'ES256', use: 'sig' };
}

function randomSecret(): string {
  return randomBytes(24).toString('base64url');
}

function envFile(values: Record<string, string>): string {
  for (const [key, value] of Object.entries(values)) {
    if (/[\r\n]/.test(value)) throw new Error(`${key} must fit on one line`);
  }
  return Object.entries(values)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
}
