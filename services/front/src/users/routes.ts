import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { linkHeader, parseSort } from '@music/service-kit';
import { Type } from 'typebox';
import { requirePrincipal } from '../auth/principal.ts';
import type { UserAdministration } from './administration.ts';
import { NewUserInput, type SortField, User, UserParams, UserQuery, UserUpdateInput } from './schema.ts';

const BASE = '/api/admin/users';

/** Mounted at BASE behind a ROLE_ADMIN guard. */
export const userRoutes: FastifyPluginAsyncTypebox<{ administration: UserAdministration }> = async (
  app,
  { administration },
) => {
  app.addHook('onRequest', (request) => administration.requireCurrentAdmin(requirePrincipal(request)));
  app.get(
    '/',
    { schema: { querystring: UserQuery, response: { 200: Type.Array(User) } } },
    async (request, reply) => {
      const { page, size, sort } = request.query;
      const result = await administration.list(page, size, parseSort<SortField>(sort));
      reply.header('x-total-count', result.total);
      reply.header('link', linkHeader(BASE, request.query, page, size, result.total));
      return result.items;
    },
  );

  app.post('/', { schema: { body: NewUserInput, response: { 201: User } } }, async (request, reply) => {
    const user = await administration.create(request.body);
    return reply.code(201).header('location', `${BASE}/${user.login}`).send(user);
  });

  app.get('/:login', { schema: { params: UserParams, response: { 200: User } } }, async (request) => {
    return administration.get(request.params.login);
  });

  app.put(
    '/:login',
    { schema: { params: UserParams, body: UserUpdateInput, response: { 200: User } } },
    async (request) => administration.update(requirePrincipal(request), request.params.login, request.body),
  );

  app.delete('/:login', { schema: { params: UserParams } }, async (request, reply) => {
    await administration.delete(requirePrincipal(request), request.params.login);
    return reply.code(204).send();
  });
};
