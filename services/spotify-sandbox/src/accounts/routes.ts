import { timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { OAuthError } from '../errors.ts';
import type { TokenStore } from './tokens.ts';

export interface AccountsOptions {
  clientId: string;
  clientSecret: string;
  tokens: TokenStore;
}

/**
 * Spotify's accounts service, client credentials flow only: `POST /api/token` with a form body
 * `grant_type=client_credentials` and the client id and secret as HTTP Basic or in the body.
 */
export const accountsRoutes: FastifyPluginAsync<AccountsOptions> = async (app, options) => {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof OAuthError) return reply.code(error.statusCode).send(error.toJSON());
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'token request failed');
      return reply.code(500).send({ error: 'server_error', error_description: 'Server error' });
    }
    return reply.code(status).send({ error: 'invalid_request', error_description: error.message });
  });

  app.post('/api/token', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string | undefined>;
    if (!form.grant_type) throw new OAuthError('unsupported_grant_type', 'grant_type parameter is missing');
    if (form.grant_type !== 'client_credentials')
      throw new OAuthError('unsupported_grant_type', 'grant_type must be client_credentials');
    const client = basicCredentials(request.headers.authorization) ?? {
      id: form.client_id,
      secret: form.client_secret,
    };
    if (!client.id || client.id !== options.clientId)
      throw new OAuthError('invalid_client', 'Invalid client');
    if (!client.secret || !sameText(client.secret, options.clientSecret))
      throw new OAuthError('invalid_client', 'Invalid client secret');
    const { token, expiresIn } = options.tokens.issue(client.id);
    reply.header('cache-control', 'no-store');
    return { access_token: token, token_type: 'Bearer', expires_in: expiresIn };
  });
};

function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
