import { ForbiddenError, UnauthorizedError } from '@music/service-kit';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Tokens } from './tokens.ts';

export const ROLE_ADMIN = 'ROLE_ADMIN';
export const ROLE_USER = 'ROLE_USER';
export const AUTHORITIES: readonly string[] = [ROLE_ADMIN, ROLE_USER];

export interface Principal {
  login: string;
  authorities: readonly string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
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

/** An onRequest hook: verifies the bearer token, then the authority when one is named. */
export function guard(tokens: Tokens, authority?: string): onRequestAsyncHookHandler {
  return async (request) => {
    request.principal = await tokens.verify(request.headers.authorization);
    if (authority) requireAuthority(request, authority);
  };
}
