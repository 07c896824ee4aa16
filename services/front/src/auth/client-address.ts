import type { FastifyRequest } from 'fastify';

/**
 * The address a sign-in is throttled by. Only the hops the mesh appended to `X-Forwarded-For` are
 * trusted, counted from the right as Istio's `numTrustedProxies` does: with one trusted hop the
 * client is the last entry, the socket address the ingress saw; whatever the client wrote to the
 * left of it is ignored. Without enough entries, the socket's own peer is the client.
 */
export function clientAddress(request: FastifyRequest, trustedHops: number): string {
  const socketAddress = request.socket.remoteAddress ?? 'unknown';
  if (trustedHops === 0) return socketAddress;
  const header = request.headers['x-forwarded-for'];
  if (header === undefined) return socketAddress;
  const entries = (Array.isArray(header) ? header.join(',') : header).split(',');
  const entry = entries[entries.length - trustedHops]?.trim();
  return entry || socketAddress;
}
