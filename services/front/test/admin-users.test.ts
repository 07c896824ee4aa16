import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type Problem, type RunningFront, startFront } from './front-server.ts';

interface User {
  login: string;
  createdDate: string;
  lastModifiedDate: string;
}

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

async function create(user: Record<string, unknown>) {
  const response = await admin('/api/admin/users', {
    method: 'POST',
    json: { password: 'a-password', ...user },
  });
  expect(response.status).toBe(201);
  return (await response.json()) as User;
}

describe('user administration', () => {
  it('creates a user, answers 201 with its Location, and serves it back without a password', async () => {
    const response = await admin('/api/admin/users', {
      method: 'POST',
      json: {
        login: 'frank',
        password: 'frank-password',
        firstName: ' Frank ',
        lastName: 'Zappa',
        email: 'frank@example.com',
        authorities: ['ROLE_USER', 'ROLE_ADMIN'],
      },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/api/admin/users/frank');
    const user = await response.json();
    expect(user).toEqual({
      login: 'frank',
      firstName: 'Frank',
      lastName: 'Zappa',
      email: 'frank@example.com',
      activated: true,
      authorities: ['ROLE_ADMIN', 'ROLE_USER'],
      createdDate: expect.any(String),
      lastModifiedDate: expect.any(String),
    });
    expect(await (await admin('/api/admin/users/frank')).json()).toEqual(user);
    expect(await front.signIn('frank', 'frank-password')).toBeTruthy();
  });

  it('defaults a new user to activated ROLE_USER without names, and takes an empty email as none', async () => {
    expect(await create({ login: 'grace', email: '' })).toMatchObject({
      firstName: null,
      lastName: null,
      email: null,
      activated: true,
      authorities: ['ROLE_USER'],
    });
  });

  it('updates the fields sent, keeps the others, and changes the password only when one is sent', async () => {
    await create({
      login: 'heidi',
      firstName: 'Heidi',
      email: 'heidi@example.com',
      password: 'first-password',
    });
    const response = await admin('/api/admin/users/heidi', {
      method: 'PUT',
      json: {
        login: 'heidi',
        lastName: 'Klum',
        authorities: ['ROLE_ADMIN', 'ROLE_USER'],
        createdDate: 'ignored',
      },
    });
    expect(response.status).toBe(200);
    const user = (await response.json()) as User;
    expect(user).toMatchObject({
      firstName: 'Heidi',
      lastName: 'Klum',
      email: 'heidi@example.com',
      authorities: ['ROLE_ADMIN', 'ROLE_USER'],
    });
    expect(user.lastModifiedDate > user.createdDate).toBe(true);
    expect(await front.signIn('heidi', 'first-password')).toBeTruthy();

    await admin('/api/admin/users/heidi', { method: 'PUT', json: { password: 'second-password' } });
    const old = await front.call('/api/authenticate', {
      method: 'POST',
      json: { username: 'heidi', password: 'first-password' },
    });
    expect(old.status).toBe(401);
    expect(await front.signIn('heidi', 'second-password')).toBeTruthy();
  });

  it('deletes a user, then answers 404 for it', async () => {
    await create({ login: 'ivan' });
    expect((await admin('/api/admin/users/ivan', { method: 'DELETE' })).status).toBe(204);
    const gone = await admin('/api/admin/users/ivan');
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toContain('application/problem+json');
    expect(((await gone.json()) as Problem).detail).toBe('User ivan does not exist.');
    expect((await admin('/api/admin/users/ivan', { method: 'DELETE' })).status).toBe(404);
    expect((await admin('/api/admin/users/ivan', { method: 'PUT', json: { firstName: 'x' } })).status).toBe(
      404,
    );
  });

  it('pages and sorts the list with X-Total-Count and Link headers', async () => {
    for (const [login, lastName] of [
      ['u1', 'delta'],
      ['u2', 'Alpha'],
      ['u3', 'charlie'],
      ['u4', 'Bravo'],
    ]) {
      await create({ login, lastName });
    }
    const response = await admin('/api/admin/users?page=1&size=2&sort=lastName,asc');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-total-count')).toBe('5');
    expect(((await response.json()) as User[]).map((u) => u.login)).toEqual(['u3', 'u1']);
    const link = response.headers.get('link') ?? '';
    expect(link).toContain('</api/admin/users?sort=lastName%2Casc&page=0&size=2>; rel="first"');
    expect(link).toContain('page=0&size=2>; rel="prev"');
    expect(link).toContain('page=2&size=2>; rel="next"');
    expect(link).toContain('page=2&size=2>; rel="last"');
    const byLogin = (await (await admin('/api/admin/users?sort=login,desc&size=1')).json()) as User[];
    expect(byLogin.map((u) => u.login)).toEqual(['u4']);
    const first = (await (await admin('/api/admin/users')).json()) as User[];
    expect(first[0]?.login).toBe('admin');
  });

  it('answers 409 naming the login when it exists', async () => {
    await create({ login: 'judy' });
    const response = await admin('/api/admin/users', {
      method: 'POST',
      json: { login: 'judy', password: 'a-password' },
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: 'CONFLICT', errors: [{ field: 'login' }] });
  });

  it('stores a salted hash, never the password: the same password gives two different hashes', async () => {
    await create({ login: 'kim', password: 'shared-password' });
    await create({ login: 'lee', password: 'shared-password' });
    const { rows } = await front.db.query<{ password_hash: string }>(
      `SELECT password_hash FROM users WHERE login IN ('kim', 'lee')`,
    );
    expect(rows).toHaveLength(2);
    for (const { password_hash } of rows) {
      expect(password_hash).not.toContain('shared-password');
      expect(password_hash).toMatch(/^scrypt\$/);
    }
    expect(rows[0]?.password_hash).not.toBe(rows[1]?.password_hash);
  });

  it('edits the seeded admin account, which has no email, with the email left empty', async () => {
    const edit = await admin('/api/admin/users/admin', {
      method: 'PUT',
      json: { firstName: 'Ada', lastName: 'Lovelace', email: '' },
    });
    expect(edit.status).toBe(200);
    expect(await edit.json()).toMatchObject({ login: 'admin', firstName: 'Ada', email: null });
  });

  it('keeps an admin from deleting, deactivating or demoting themself', async () => {
    const remove = await admin('/api/admin/users/admin', { method: 'DELETE' });
    expect(remove.status).toBe(409);
    expect(remove.headers.get('content-type')).toContain('application/problem+json');
    const removeProblem = (await remove.json()) as Problem;
    expect(removeProblem.code).toBe('CONFLICT');
    expect(removeProblem.errors[0]?.field).toBe('login');
    expect(removeProblem.detail).toContain('the account you are signed in as');
    expect((await admin('/api/admin/users/admin')).status).toBe(200);

    const deactivate = await admin('/api/admin/users/admin', { method: 'PUT', json: { activated: false } });
    expect(deactivate.status).toBe(400);
    expect(((await deactivate.json()) as Problem).errors[0]).toMatchObject({
      field: 'activated',
      message: expect.stringContaining('admin'),
    });

    const demote = await admin('/api/admin/users/admin', {
      method: 'PUT',
      json: { authorities: ['ROLE_USER'] },
    });
    expect(demote.status).toBe(400);
    expect(((await demote.json()) as Problem).errors[0]?.field).toBe('authorities');
    expect(await front.signIn('admin', ADMIN_PASSWORD)).toBeTruthy();
  });
});

describe('validation', () => {
  it.each([
    [{ login: 'Upper', password: 'a-password' }, 'login'],
    [{ login: 'has space', password: 'a-password' }, 'login'],
    [{ login: 'x'.repeat(51), password: 'a-password' }, 'login'],
    [{ password: 'a-password' }, 'login'],
    [{ login: 'mallory' }, 'password'],
    [{ login: 'mallory', password: 'short' }, 'password'],
    [{ login: 'mallory', password: 'p'.repeat(101) }, 'password'],
    [{ login: 'mallory', password: 'a-password', email: 'not-an-email' }, 'email'],
    [{ login: 'mallory', password: 'a-password', authorities: ['ROLE_ROOT'] }, 'authorities'],
    [{ login: 'mallory', password: 'a-password', authorities: 'ROLE_USER' }, 'authorities'],
    [{ login: 'mallory', password: 'a-password', firstName: 'f'.repeat(51) }, 'firstName'],
    [{ login: 'mallory', password: 'a-password', activated: 'yes' }, 'activated'],
    [{ login: 'mallory', password: 'a-password', role: 'admin' }, 'role'],
    [{ login: 'mallory', password: 'a-password', firstName: 'Mal\u0000lory' }, 'firstName'],
    [{ login: 'mallory', password: 'a-password', lastName: 'half \ud83d' }, 'lastName'],
    [{ login: 'mallory', password: 'pass\u0000word' }, 'password'],
    [{ login: 'mallory', password: 'a-password', email: 'm\u0000@example.com' }, 'email'],
  ])('rejects the new user %j with a problem naming %s', async (body, field) => {
    const response = await admin('/api/admin/users', { method: 'POST', json: body });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as Problem;
    expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(problem.errors.map((e) => e.field)).toContain(field);
    expect((await admin('/api/admin/users')).headers.get('x-total-count')).toBe('1');
  });

  it.each([
    [{ password: 'short' }, 'password'],
    [{ login: 'someone-else' }, 'login'],
    [{ authorities: ['ROLE_USER', 'ROLE_GOD'] }, 'authorities'],
  ])('rejects the update %j naming %s', async (body, field) => {
    await create({ login: 'nina' });
    const response = await admin('/api/admin/users/nina', { method: 'PUT', json: body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors[0]?.field).toBe(field);
  });

  it.each([
    ['page=-1', 'page'],
    ['size=101', 'size'],
    ['sort=password_hash,asc', 'sort'],
    ['page=1e18', 'page'],
    ['page=1.5', 'page'],
  ])('rejects the query %s naming %s', async (query, field) => {
    const response = await admin(`/api/admin/users?${query}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors[0]?.field).toBe(field);
  });
});

describe('revocation', () => {
  /** A second admin signs in, then the first changes their account while the token is still valid. */
  async function otherAdmin(): Promise<string> {
    await create({ login: 'ada', password: 'ada-password', authorities: ['ROLE_ADMIN', 'ROLE_USER'] });
    const token = await front.signIn('ada', 'ada-password');
    expect((await front.call('/api/admin/users', {}, token)).status).toBe(200);
    return token;
  }

  async function refused(token: string, status: number) {
    const list = await front.call('/api/admin/users', {}, token);
    expect(list.status).toBe(status);
    expect(list.headers.get('content-type')).toContain('application/problem+json');
    const created = await front.call(
      '/api/admin/users',
      { method: 'POST', json: { login: 'mallory', password: 'a-password', authorities: ['ROLE_ADMIN'] } },
      token,
    );
    expect(created.status).toBe(status);
    expect((await admin('/api/admin/users/mallory')).status).toBe(404);
  }

  it('refuses admin operations to a token whose account was demoted since', async () => {
    const token = await otherAdmin();
    expect(
      (await admin('/api/admin/users/ada', { method: 'PUT', json: { authorities: ['ROLE_USER'] } })).status,
    ).toBe(200);
    await refused(token, 403);
  });

  it('refuses admin operations to a token whose account was deactivated since', async () => {
    const token = await otherAdmin();
    expect((await admin('/api/admin/users/ada', { method: 'PUT', json: { activated: false } })).status).toBe(
      200,
    );
    await refused(token, 401);
  });

  it('refuses admin operations to a token whose account was deleted since', async () => {
    const token = await otherAdmin();
    expect((await admin('/api/admin/users/ada', { method: 'DELETE' })).status).toBe(204);
    await refused(token, 401);
  });
});

describe('access', () => {
  it('answers 403 to a ROLE_USER and 401 without a token, before looking at the request', async () => {
    await create({ login: 'oscar', password: 'oscar-password' });
    const userToken = await front.signIn('oscar', 'oscar-password');
    for (const [method, path] of [
      ['GET', '/api/admin/users'],
      ['GET', '/api/admin/users/admin'],
      ['POST', '/api/admin/users'],
      ['PUT', '/api/admin/users/admin'],
      ['DELETE', '/api/admin/users/admin'],
    ] as const) {
      const init = { method, json: method === 'POST' || method === 'PUT' ? { bogus: true } : undefined };
      const forbidden = await front.call(path, init, userToken);
      expect(forbidden.status, `${method} ${path}`).toBe(403);
      expect(await forbidden.json()).toMatchObject({ code: 'FORBIDDEN' });
      expect((await front.call(path, init, null)).status, `${method} ${path}`).toBe(401);
    }
    expect((await front.call('/api/account', {}, userToken)).status).toBe(200);
  });
});
