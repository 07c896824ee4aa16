import { type Principal, requireAuthority } from '@music/service-kit';
import type { onRequestAsyncHookHandler } from 'fastify';
import type { Tokens } from './tokens.ts';

export const ROLE_ADMIN = 'ROLE_ADMIN';
export const ROLE_USER = 'ROLE_USER';
export const AUTHORITIES: readonly string[] = [ROLE_ADMIN, ROLE_USER];

export { requirePrincipal } from '@music/service-kit';
export type { Principal };

/** An onRequest hook: verifies the bearer token, then the authority when one is named. */
export function guard(tokens: Tokens, authority?: string): onRequestAsyncHookHandler {
  return async (request) => {
    request.principal = await tokens.verify(request.headers.authorization);
    if (authority) requireAuthority(request, authority);
  };
}
