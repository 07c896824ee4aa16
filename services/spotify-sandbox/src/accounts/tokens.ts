import { randomBytes } from 'node:crypto';
import { InvalidTokenError } from '../errors.ts';

interface Grant {
  clientId: string;
  expiresAt: number;
}

/**
 * Opaque bearer tokens in memory. Expired tokens are remembered a while, so a late caller hears
 * "The access token expired" like on Spotify rather than "Invalid access token".
 */
export class TokenStore {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #grants = new Map<string, Grant>();

  constructor(ttlSeconds: number, now: () => number) {
    this.#ttlMs = ttlSeconds * 1000;
    this.#now = now;
  }

  issue(clientId: string): { token: string; expiresIn: number } {
    this.#forgetOld();
    const token = `BQ${randomBytes(45).toString('base64url')}`;
    this.#grants.set(token, { clientId, expiresAt: this.#now() + this.#ttlMs });
    return { token, expiresIn: this.#ttlMs / 1000 };
  }

  /** The client id the `Authorization` header's token was issued to. */
  verify(authorization: string | undefined): string {
    if (!authorization) throw new InvalidTokenError('No token provided');
    const match = /^Bearer (\S+)$/i.exec(authorization);
    const grant = match?.[1] ? this.#grants.get(match[1]) : undefined;
    if (!grant) throw new InvalidTokenError('Invalid access token');
    if (grant.expiresAt <= this.#now()) throw new InvalidTokenError('The access token expired');
    return grant.clientId;
  }

  #forgetOld(): void {
    const horizon = this.#now() - this.#ttlMs;
    for (const [token, grant] of this.#grants) {
      if (grant.expiresAt < horizon) this.#grants.delete(token);
    }
  }
}
