import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { ConsoleError } from './errors.ts';

/** How the console checks the app's tokens: who issues them and which role may change things. */
export interface AuthOptions {
  /** The app's login, answering `{ id_token }` to `{ username, password }` (front's /api/authenticate). */
  readonly loginUrl: string;
  /** The app's public keys (front's /.well-known/jwks.json). */
  readonly jwksUrl: string;
  /** The role that may change configuration, in the token's space-separated `auth` claim. */
  readonly role: string;
  readonly now?: () => number;
}

/** A request without a valid token of the admin role: 401 (no or bad token) or 403 (other role). */
export class AuthError extends ConsoleError {
  constructor(httpStatus: 401 | 403, message: string) {
    super(httpStatus === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', httpStatus, message);
  }
}

/** The login could not be made: the app refused it (its status) or did not answer (502). */
export class LoginError extends ConsoleError {
  constructor(httpStatus: number, message: string) {
    super('LOGIN_FAILED', httpStatus, message);
  }
}

const keysTtlMs = 300_000;

/**
 * The app's ES256 tokens checked with its published keys (fetched again after 5 minutes, or at
 * once for a key id not seen, at most every 30 s): signature, `exp`/`nbf`, and the admin role.
 * Nothing of a token is logged.
 */
export class AdminAuth {
  readonly #options: AuthOptions;
  readonly #now: () => number;
  #keys = new Map<string, KeyObject>();
  #fetchedAt = Number.NEGATIVE_INFINITY;

  constructor(options: AuthOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Logs in at the app for the console's page, which cannot call the app's origin itself. */
  async login(username: unknown, password: unknown): Promise<string> {
    if (typeof username !== 'string' || typeof password !== 'string' || username === '')
      throw new LoginError(400, 'username and password: both are required strings');
    let response: Response;
    try {
      response = await fetch(this.#options.loginUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      throw new LoginError(502, `the app's login at ${this.#options.loginUrl} did not answer`);
    }
    const body = (await response.json().catch(() => ({}))) as { id_token?: unknown; detail?: unknown };
    if (!response.ok || typeof body.id_token !== 'string')
      throw new LoginError(
        response.status >= 400 && response.status < 500 ? response.status : 502,
        typeof body.detail === 'string' ? body.detail : `the app's login answered ${response.status}`,
      );
    await this.verify(`Bearer ${body.id_token}`);
    return body.id_token;
  }

  /** The token's subject, when `authorization` carries a valid token with the admin role. */
  async verify(authorization: string | undefined): Promise<string> {
    const token = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(authorization ?? '')?.[1];
    if (!token)
      throw new AuthError(401, 'changing configuration needs a token of the admin role: log in first');
    const [head, body, signature] = token.split('.') as [string, string, string];
    const header = decode(head);
    const claims = decode(body);
    if (!header || !claims || header.alg !== 'ES256')
      throw new AuthError(401, 'the token is not an ES256 JWT');
    const key = await this.#key(typeof header.kid === 'string' ? header.kid : '');
    const valid = verify(
      'sha256',
      Buffer.from(`${head}.${body}`),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    if (!valid) throw new AuthError(401, 'the token’s signature does not verify');
    const now = this.#now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp <= now)
      throw new AuthError(401, 'the token has expired: log in again');
    if (typeof claims.nbf === 'number' && claims.nbf > now)
      throw new AuthError(401, 'the token is not valid yet');
    const roles = typeof claims.auth === 'string' ? claims.auth.split(' ') : [];
    if (!roles.includes(this.#options.role))
      throw new AuthError(403, `changing configuration needs the ${this.#options.role} role`);
    return typeof claims.sub === 'string' ? claims.sub : '';
  }

  async #key(kid: string): Promise<KeyObject> {
    const stale = this.#now() - this.#fetchedAt > keysTtlMs;
    const unknownKid = !this.#keys.has(kid) && this.#now() - this.#fetchedAt > 30_000;
    if (stale || unknownKid) await this.#fetchKeys();
    const key =
      this.#keys.get(kid) ?? (kid === '' && this.#keys.size === 1 ? [...this.#keys.values()][0] : undefined);
    if (!key) throw new AuthError(401, 'the token was signed by a key the app does not publish');
    return key;
  }

  async #fetchKeys(): Promise<void> {
    let jwks: { keys?: (JsonWebKey & { kid?: string })[] };
    try {
      const response = await fetch(this.#options.jwksUrl, { signal: AbortSignal.timeout(10_000) });
      jwks = (await response.json()) as typeof jwks;
    } catch {
      throw new LoginError(502, `the app's keys at ${this.#options.jwksUrl} could not be read`);
    }
    const keys = new Map<string, KeyObject>();
    for (const jwk of jwks.keys ?? []) {
      if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') continue;
      keys.set(jwk.kid ?? '', createPublicKey({ key: jwk, format: 'jwk' }));
    }
    this.#keys = keys;
    this.#fetchedAt = this.#now();
  }
}

function decode(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
