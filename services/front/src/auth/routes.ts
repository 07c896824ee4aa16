import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { currentAccount } from '../users/current-account.ts';
import type { UserRepository } from '../users/repository.ts';
import { User } from '../users/schema.ts';
import { clientAddress } from './client-address.ts';
import type { SigningKey } from './keys.ts';
import { guard, requirePrincipal } from './principal.ts';
import type { SignIn } from './sign-in.ts';
import type { Tokens } from './tokens.ts';

const Credentials = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 254 }),
  password: Type.String({ minLength: 1, maxLength: 1000 }),
});

export interface AuthRoutesOptions {
  signIn: SignIn;
  tokens: Tokens;
  users: UserRepository;
  key: SigningKey;
  /** Hops of `X-Forwarded-For` the mesh appended, counted from the right. */
  trustedHops: number;
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (
  app,
  { signIn, tokens, users, key, trustedHops },
) => {
  app.post(
    '/api/authenticate',
    { schema: { body: Credentials, response: { 200: Type.Object({ id_token: Type.String() }) } } },
    async (request) => ({
      id_token: await signIn.signIn({ ...request.body, clientIp: clientAddress(request, trustedHops) }),
    }),
  );

  app.get('/api/account', { onRequest: guard(tokens), schema: { response: { 200: User } } }, (request) =>
    currentAccount(users, requirePrincipal(request)),
  );

  const jwks = { keys: [key.jwk] };
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return jwks;
  });
};

/** The ingress appends the caller to X-Forwarded-For; its first entry is the browser's address. */
