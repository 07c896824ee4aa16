import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserRepository } from '../src/users/repository.ts';
import { seedUsers } from '../src/users/seed.ts';
import { type RunningFront, startFront } from './front-server.ts';

interface Account {
  authorities: string[];
}

let front: RunningFront;

beforeAll(async () => {
  // As `npm start` runs front: no signing key and no admin password configured.
  front = await startFront({ MUSIC_DEV_DEFAULTS: 'true', JWT_PRIVATE_KEY: '', ADMIN_PASSWORD: '' });
});

afterAll(() => front?.close());

describe('dev defaults', () => {
  it('seeds admin/admin as ROLE_ADMIN and ROLE_USER and user/user as ROLE_USER, past the password rule', async () => {
    const adminToken = await front.signIn('admin', 'admin');
    const admin = (await (await front.call('/api/account', {}, adminToken)).json()) as Account;
    expect(admin.authorities).toEqual(['ROLE_ADMIN', 'ROLE_USER']);
    const userToken = await front.signIn('user', 'user');
    const user = (await (await front.call('/api/account', {}, userToken)).json()) as Account;
    expect(user.authorities).toEqual(['ROLE_USER']);
  });

  it('signs with a generated key that the JWKS publishes', async () => {
    const { keys } = (await (await front.call('/.well-known/jwks.json')).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: expect.any(String) });
  });

  it('keeps a seeded account as it is on the next start', async () => {
    const adminToken = await front.signIn('admin', 'admin');
    await front.call(
      '/api/admin/users/user',
      { method: 'PUT', json: { password: 'changed-password' } },
      adminToken,
    );
    expect(await seedUsers(new UserRepository(front.db), front.config)).toEqual([]);
    expect(await front.signIn('user', 'changed-password')).toBeTruthy();
  });
});
