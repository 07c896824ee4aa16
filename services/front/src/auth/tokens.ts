import { UnauthorizedError } from '@music/service-kit';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { SigningKey } from './keys.ts';
import type { Principal } from './principal.ts';

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
    verify: async (authorization) => {
      const token = bearerToken(authorization);
      try {
        const { payload } = await jwtVerify(token, key.publicKey, {
          issuer: options.issuer,
          algorithms: ['ES256'],
        });
        if (typeof payload.sub !== 'string' || payload.sub === '')
          throw new UnauthorizedError('The token names no user.');
        const auth = typeof payload.auth === 'string' ? payload.auth.split(' ').filter(Boolean) : [];
        return { login: payload.sub, authorities: auth };
      } catch (error) {
        if (error instanceof UnauthorizedError) throw error;
        if (error instanceof errors.JWTExpired) throw new UnauthorizedError('The token has expired.');
        if (error instanceof errors.JOSEError) throw new UnauthorizedError('The token is invalid.');
        throw error;
      }
    },
  };
}

function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization ?? '');
  if (!match?.[1]) throw new UnauthorizedError();
  return match[1];
}
