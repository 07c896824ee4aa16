import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type Problem, type RunningFront, startFront } from './front-server.ts';

let front: RunningFront;
let adminToken: string;

beforeAll(async () => {
  front = await startFront();
  adminToken = await front.signIn('admin', ADMIN_PASSWORD);
});

afterAll(() => front?.close());

beforeEach(async () => {
  await front.db.query(`DELETE FROM users WHERE login <> 'admin'`);
});

const admin = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  front.call(path, init, adminToken);

async function create(login: string, authorities: string[]): Promise<void> {
  const response = await admin('/api/admin/users', {
    method: 'POST',
    json: { login, password: `${login}-password`, authorities },
  });
  expect(response.status).toBe(201);
}

async function edit(login: string, json: Record<string, unknown>): Promise<void> {
  expect((await admin(`/api/admin/users/${login}`, { method: 'PUT', json })).status).toBe(200);
}

/**
 * `iat` counts whole seconds and a token from the second of a change still counts, so a token that
 * must read as "issued before" is signed, then the clock is let into the next second.
 */
async function tokenFromAnEarlierSecond(login: string, password = `${login}-password`): Promise<string> {
  const token = await front.signIn(login, password);
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
  return token;
}

async function expectRevoked(path: string, token: string): Promise<void> {
  const response = await front.call(path, {}, token);
  expect(response.status).toBe(401);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(((await response.json()) as Problem).code).toBe('TOKEN_REVOKED');
}

async function expectAccepted(path: string, token: string): Promise<void> {
  expect((await front.call(path, {}, token)).status).toBe(200);
}

describe('tokens issued before a change to the account', () => {
  it('are refused after an admin sets a new password, and signing in with it works at once', async () => {
    await create('ada', ['ROLE_USER', 'ROLE_ADMIN']);
    const old = await tokenFromAnEarlierSecond('ada');
    await edit('ada', { password: 'ada-new-password' });

    await expectRevoked('/api/account', old);
    await expectRevoked('/api/admin/users', old);
    const fresh = await front.signIn('ada', 'ada-new-password');
    await expectAccepted('/api/account', fresh);
    await expectAccepted('/api/admin/users', fresh);
  });

  it('are refused after a demotion even once the role is given back, and a new sign-in works', async () => {
    await create('ada', ['ROLE_USER', 'ROLE_ADMIN']);
    const old = await tokenFromAnEarlierSecond('ada');
    await edit('ada', { authorities: ['ROLE_USER'] });
    await edit('ada', { authorities: ['ROLE_USER', 'ROLE_ADMIN'] });

    await expectRevoked('/api/account', old);
    await expectRevoked('/api/admin/users', old);
    const created = await front.call(
      '/api/admin/users',
      { method: 'POST', json: { login: 'mallory', password: 'a-password', authorities: ['ROLE_ADMIN'] } },
      old,
    );
    expect(created.status).toBe(401);
    expect((await admin('/api/admin/users/mallory')).status).toBe(404);
    const fresh = await front.signIn('ada', 'ada-password');
    await expectAccepted('/api/admin/users', fresh);
  });

  it('are refused after a deactivation even once the account is reactivated, and a new sign-in works', async () => {
    await create('ada', ['ROLE_USER', 'ROLE_ADMIN']);
    const old = await tokenFromAnEarlierSecond('ada');
    await edit('ada', { activated: false });
    await edit('ada', { activated: true });

    await expectRevoked('/api/account', old);
    await expectRevoked('/api/admin/users', old);
    const fresh = await front.signIn('ada', 'ada-password');
    await expectAccepted('/api/account', fresh);
    await expectAccepted('/api/admin/users', fresh);
  });

  it('are refused for a new account that reuses a deleted login', async () => {
    await create('bob', ['ROLE_USER']);
    const old = await tokenFromAnEarlierSecond('bob');
    expect((await admin('/api/admin/users/bob', { method: 'DELETE' })).status).toBe(204);
    await create('bob', ['ROLE_USER']);

    await expectRevoked('/api/account', old);
    await expectAccepted('/api/account', await front.signIn('bob', 'bob-password'));
  });

  it('still count after a change of name or email, which grants and removes nothing', async () => {
    await create('bob', ['ROLE_USER']);
    const old = await tokenFromAnEarlierSecond('bob');
    await edit('bob', { firstName: 'Bob', email: 'bob@example.com' });
    await edit('bob', { authorities: ['ROLE_USER'], activated: true });

    await expectAccepted('/api/account', old);
  });
});
