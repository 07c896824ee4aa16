import { traceHeaders } from '@music/service-kit';
import type { FastifyRequest } from 'fastify';
import type { ForwardedHeaders } from './client-api.ts';

/** What a call to `client` carries for `request`: its trace context and the caller's token. */
export function forwardedHeaders(request: FastifyRequest): ForwardedHeaders {
  const { authorization } = request.headers;
  return { ...traceHeaders(request), ...(authorization ? { authorization } : {}) };
}
