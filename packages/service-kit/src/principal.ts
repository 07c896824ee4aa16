import type { FastifyRequest } from 'fastify';
import { errors, type JWTVerifyGetKey, jwtVerify, type KeyObject } from 'jose';
import { ForbiddenError, UnauthorizedError } from './errors.ts';

/** Who is calling, from front's ES256 token: `sub` is the login, `auth` the space-separated authorities. */
export interface Principal {
  login: string;
  authorities: readonly string[];
  /** The token's `iat` in whole seconds, for checks against the account's current state. */
  issuedAt?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/**
 * Verifies an `Authorization: Bearer` header against a key or a key set (front's JWKS). Only ES256
 * is accepted, so `alg: none` and HMAC confusion fail; an expired token says so, and a token without
 * `exp` is refused, as it would otherwise never expire. A key set that
 * cannot be fetched is not the caller's fault and surfaces as a 5xx, not a 401.
 */
export async function verifyBearer(
  authorization: string | undefined,
  key: KeyObject | JWTVerifyGetKey,
  issuer: string,
): Promise<Principal> {
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization ?? '');
  if (!match?.[1]) throw new UnauthorizedError();
  try {
    const { payload } = await jwtVerify(match[1], key as JWTVerifyGetKey, {
      issuer,
      algorithms: ['ES256'],
      requiredClaims: ['exp', 'sub'],
    });
    if (typeof payload.sub !== 'string' || payload.sub === '')
      throw new UnauthorizedError('The token names no user.');
    const auth = typeof payload.auth === 'string' ? payload.auth.split(' ').filter(Boolean) : [];
    return typeof payload.iat === 'number'
      ? { login: payload.sub, authorities: auth, issuedAt: payload.iat }
      : { login: payload.sub, authorities: auth };
  } catch (error) {
    if (error instanceof UnauthorizedError) throw error;
    if (error instanceof errors.JWTExpired) throw new UnauthorizedError('The token has expired.');
    const keySetDown = error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid;
    if (error instanceof errors.JOSEError && !keySetDown)
      throw new UnauthorizedError('The token is invalid.');
    throw error;
  }
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}

export function requireAuthority(request: FastifyRequest, authority: string): Principal {
  const principal = requirePrincipal(request);
  if (!principal.authorities.includes(authority)) throw new ForbiddenError(`This needs ${authority}.`);
  return principal;
}
