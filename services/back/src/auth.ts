import { UnauthorizedError } from '@music/service-kit';
import type { FastifyRequest } from 'fastify';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';

export interface Principal {
  login: string;
  authorities: readonly string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type TokenVerifier = (authorization: string | undefined) => Promise<Principal>;

/**
 * Verifies front's ES256 tokens against its published JWKS (the same keys Istio's
 * RequestAuthentication uses on a cluster). Keys are cached and refetched when a token names an
 * unknown `kid`, so front can rotate keys without restarting back.
 */
export function createTokenVerifier(options: { jwksUrl: string; issuer: string }): TokenVerifier {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: 3_000,
    cooldownDuration: 5_000,
  });
  return async (authorization) => {
    const token = bearerToken(authorization);
    try {
      const { payload } = await jwtVerify(token, keys, { issuer: options.issuer, algorithms: ['ES256'] });
      if (typeof payload.sub !== 'string' || payload.sub === '')
        throw new UnauthorizedError('The token names no user.');
      const auth = typeof payload.auth === 'string' ? payload.auth.split(' ').filter(Boolean) : [];
      return { login: payload.sub, authorities: auth };
    } catch (error) {
      if (error instanceof UnauthorizedError) throw error;
      if (error instanceof errors.JWTExpired) throw new UnauthorizedError('The token has expired.');
      if (error instanceof errors.JOSEError && !isKeySetUnavailable(error)) {
        throw new UnauthorizedError('The token is invalid.');
      }
      throw error;
    }
  };
}

function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization ?? '');
  if (!match?.[1]) throw new UnauthorizedError();
  return match[1];
}

function isKeySetUnavailable(error: Error): boolean {
  return error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid;
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}
