import { type Principal, verifyBearer } from '@music/service-kit';
import { SignJWT } from 'jose';
import type { SigningKey } from './keys.ts';

export interface TokenOptions {
  issuer: string;
  ttlSeconds: number;
}

export interface Tokens {
  issue(principal: Principal): Promise<string>;
  /** The principal named by an `Authorization: Bearer` header; UnauthorizedError otherwise. */
  verify(authorization: string | undefined): Promise<Principal>;
}

/** front's ES256 id_tokens, with the claims back (and Istio) verify: iss, sub, auth, iat, exp. */
export function createTokens(key: SigningKey, options: TokenOptions): Tokens {
  return {
    issue: ({ login, authorities }) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ auth: authorities.join(' ') })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
        .setIssuer(options.issuer)
        .setSubject(login)
        .setIssuedAt(now)
        .setExpirationTime(now + options.ttlSeconds)
        .sign(key.privateKey);
    },
    verify: (authorization) => verifyBearer(authorization, key.publicKey, options.issuer),
  };
}
