import { generateKeyPairSync } from 'node:crypto';
import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  decodeProtectedHeader,
  generateKeyPair,
  importPKCS8,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type Problem, type RunningFront, startFront } from './front-server.ts';

let front: RunningFront;
let adminToken: string;
let clientCount = 0;
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

beforeAll(async () => {
  front = await startFront({
    JWT_PRIVATE_KEY: signingKey,
    LOGIN_MAX_FAILURES: '3',
    LOGIN_LOCK_SECONDS: '2',
    JWT_TTL_SECONDS: '600',
  });
  adminToken = await front.signIn('admin', ADMIN_PASSWORD);
  const created = await front.call(
    '/api/admin/users',
    {
      method: 'POST',
      json: { login: 'carol', password: 'carol-password', firstName: 'Carol', authorities: ['ROLE_USER'] },
    },
    adminToken,
  );
  expect(created.status).toBe(201);
});

afterAll(() => front?.close());

/**
 * Each test signs in from its own address, so the throttle of one does not spill into another. The
 * address is the last X-Forwarded-For entry, as the mesh's ingress appends it; the entry before it is
 * what a client could write, and must not count.
 */
function authenticate(body: unknown, clientIp = `192.0.2.${++clientCount}`, forged = '203.0.113.1') {
  return front.call('/api/authenticate', {
    method: 'POST',
    json: body,
    headers: { 'x-forwarded-for': `${forged}, ${clientIp}` },
  });
}

describe('POST /api/authenticate', () => {
  it('answers an ES256 id_token that verifies against the served JWKS with the documented claims', async () => {
    const response = await authenticate({ username: 'admin', password: ADMIN_PASSWORD });
    expect(response.status).toBe(200);
    const { id_token } = (await response.json()) as { id_token: string };
    const jwks = createRemoteJWKSet(new URL(`${front.base}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(id_token, jwks, {
      issuer: 'music-front',
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(payload).toMatchObject({ iss: 'music-front', sub: 'admin', auth: 'ROLE_ADMIN ROLE_USER' });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(600);
    expect(Math.abs((payload.iat ?? 0) - Date.now() / 1000)).toBeLessThan(10);
  });

  it('serves the public key only, with an RFC 7638 thumbprint as kid, cacheable for 5 minutes', async () => {
    const response = await front.call('/.well-known/jwks.json');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key).not.toHaveProperty('d');
    expect(key?.kid).toBe(
      await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: key?.x ?? '', y: key?.y ?? '' }),
    );
    expect(decodeProtectedHeader(adminToken).kid).toBe(key?.kid);
  });

  it('answers the same 401 problem for an unknown user and a wrong password', async () => {
    const unknown = await authenticate({ username: 'nobody', password: 'whatever-password' });
    const wrong = await authenticate({ username: 'admin', password: 'not-the-password' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    const strip = (problem: Record<string, unknown>) => ({ ...problem, instance: undefined });
    const body = async (response: Response) => (await response.json()) as Record<string, unknown>;
    expect(strip(await body(unknown))).toEqual(strip(await body(wrong)));
  });

  it('answers that same 401 to a deactivated user with the right password', async () => {
    await front.call(
      '/api/admin/users',
      { method: 'POST', json: { login: 'dave', password: 'dave-password', activated: false } },
      adminToken,
    );
    const response = await authenticate({ username: 'dave', password: 'dave-password' });
    expect(response.status).toBe(401);
    expect(((await response.json()) as Problem).code).toBe('UNAUTHORIZED');
  });

  it('accepts the username in any case, as logins are lower case', async () => {
    expect((await authenticate({ username: 'Carol', password: 'carol-password' })).status).toBe(200);
  });

  it('answers 429 with Retry-After after repeated failures from one address, until the lock passes', async () => {
    const ip = '198.51.100.7';
    for (let i = 0; i < 3; i++) {
      expect((await authenticate({ username: 'carol', password: 'wrong-password' }, ip)).status).toBe(401);
    }
    const limited = await authenticate({ username: 'carol', password: 'carol-password' }, ip);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^[12]$/);
    expect(await limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    // Another address, or the same user elsewhere, is not locked out.
    expect(
      (await authenticate({ username: 'carol', password: 'carol-password' }, '198.51.100.8')).status,
    ).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await authenticate({ username: 'carol', password: 'carol-password' }, ip)).status).toBe(200);
  });

  it('throttles one address however the client varies its own X-Forwarded-For entries', async () => {
    const ip = '198.51.100.20';
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await authenticate({ username: 'carol', password: 'wrong' }, ip, `10.9.9.${i}`);
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429, 429]);
  });

  it("cannot lock a victim out by writing the victim's address into X-Forwarded-For", async () => {
    const victim = '198.51.100.21';
    for (let i = 0; i < 6; i++) {
      await authenticate({ username: 'carol', password: 'wrong' }, `198.51.100.${30 + i}`, victim);
    }
    expect((await authenticate({ username: 'carol', password: 'carol-password' }, victim)).status).toBe(200);
  });

  it('forgets earlier failures after a successful sign-in', async () => {
    const ip = '198.51.100.9';
    for (let i = 0; i < 2; i++) await authenticate({ username: 'carol', password: 'wrong-password' }, ip);
    expect((await authenticate({ username: 'carol', password: 'carol-password' }, ip)).status).toBe(200);
    for (let i = 0; i < 2; i++) await authenticate({ username: 'carol', password: 'wrong-password' }, ip);
    expect((await authenticate({ username: 'carol', password: 'carol-password' }, ip)).status).toBe(200);
  });

  it('locks one address that sprays many usernames, before any hash, but not other addresses', async () => {
    const ip = '198.51.100.40';
    const statuses: number[] = [];
    // LOGIN_MAX_FAILURES=3: an address is locked after four users' worth, 12 failures.
    for (let i = 0; i < 13; i++) {
      statuses.push((await authenticate({ username: `nobody-${i}`, password: 'wrong' }, ip)).status);
    }
    expect(statuses.slice(0, 12)).toEqual(Array(12).fill(401));
    expect(statuses[12]).toBe(429);
    expect((await authenticate({ username: 'carol', password: 'carol-password' }, ip)).status).toBe(429);
    expect((await authenticate({ username: 'carol', password: 'carol-password' })).status).toBe(200);
  });

  it('rejects a body without a password, naming the field', async () => {
    const response = await authenticate({ username: 'admin' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors).toEqual([
      { field: 'password', message: 'is required' },
    ]);
  });
});

describe('POST /api/authenticate with text PostgreSQL cannot store', () => {
  it.each([
    [{ username: 'ad\u0000min', password: 'admin' }, 'username'],
    [{ username: 'admin', password: 'ad\udfffmin' }, 'password'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const response = await authenticate(body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as Problem).errors.map((e) => e.field)).toContain(field);
  });
});

describe('GET /api/account', () => {
  it('answers the signed-in user without a password', async () => {
    const token = await front.signIn('carol', 'carol-password');
    const response = await front.call('/api/account', {}, token);
    expect(response.status).toBe(200);
    const account = (await response.json()) as Record<string, unknown>;
    expect(account).toMatchObject({
      login: 'carol',
      firstName: 'Carol',
      activated: true,
      authorities: ['ROLE_USER'],
    });
    expect(Object.keys(account).sort()).toEqual(
      [
        'activated',
        'authorities',
        'createdDate',
        'email',
        'firstName',
        'lastModifiedDate',
        'lastName',
        'login',
      ].sort(),
    );
  });

  it("answers 401 without a token, with a tampered, alg:none, or another key's token", async () => {
    const [header, payload, signature] = adminToken.split('.');
    const forged = Buffer.from(
      JSON.stringify({ sub: 'root', auth: 'ROLE_ADMIN', iss: 'music-front' }),
    ).toString('base64url');
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ auth: 'ROLE_ADMIN ROLE_USER' })
      .setProtectedHeader({ alg: 'ES256', kid: decodeProtectedHeader(adminToken).kid ?? '' })
      .setSubject('admin')
      .setIssuer('music-front')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    const bad = [
      null,
      'not-a-jwt',
      `${header}.${forged}.${signature}`,
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`,
      foreign,
    ];
    for (const token of bad) {
      const response = await front.call('/api/account', {}, token);
      expect(response.status, String(token)).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it("answers 401 to a token of front's own key that has expired, has no exp or names another issuer", async () => {
    const key = await importPKCS8(signingKey, 'ES256');
    const sign = (issuer: string, expires: number | string) =>
      new SignJWT({ auth: 'ROLE_ADMIN ROLE_USER' })
        .setProtectedHeader({ alg: 'ES256' })
        .setSubject('admin')
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime(expires)
        .sign(key);
    expect((await front.call('/api/account', {}, await sign('music-front', '1h'))).status).toBe(200);
    const expired = await front.call(
      '/api/account',
      {},
      await sign('music-front', Math.floor(Date.now() / 1000) - 60),
    );
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as Problem).detail).toMatch(/expired/);
    expect((await front.call('/api/account', {}, await sign('someone-else', '1h'))).status).toBe(401);
    const endless = await new SignJWT({ auth: 'ROLE_ADMIN ROLE_USER' })
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('admin')
      .setIssuer('music-front')
      .setIssuedAt()
      .sign(key);
    expect((await front.call('/api/account', {}, endless)).status).toBe(401);
  });

  it('answers 401 once the account is deleted, though its token has not expired', async () => {
    await front.call(
      '/api/admin/users',
      { method: 'POST', json: { login: 'erin', password: 'erin-password' } },
      adminToken,
    );
    const token = await front.signIn('erin', 'erin-password');
    expect((await front.call('/api/admin/users/erin', { method: 'DELETE' }, adminToken)).status).toBe(204);
    expect((await front.call('/api/account', {}, token)).status).toBe(401);
  });
});

describe('POST /api/authenticate under a flood of failed sign-ins', () => {
  let busy: RunningFront;

  beforeAll(async () => {
    busy = await startFront({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '2' });
  });

  afterAll(() => busy?.close());

  it('answers 429 problem+json with Retry-After at once when hashing is saturated, yet the owner signs in where they did before', async () => {
    await busy.signIn('admin', ADMIN_PASSWORD);
    const guess = (i: number) =>
      busy.call('/api/authenticate', {
        method: 'POST',
        json: { username: 'admin', password: 'guess' },
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
      });
    const before = Array.from({ length: 12 }, (_, i) => guess(i));
    const owner = busy.signIn('admin', ADMIN_PASSWORD);
    const after = Array.from({ length: 12 }, (_, i) => guess(i + 12));
    const flood = await Promise.all([...before, ...after]);
    const statuses = flood.map((response) => response.status);
    expect(
      statuses.every((status) => status === 401 || status === 429),
      String(statuses),
    ).toBe(true);
    const refused = flood.find((response) => response.status === 429);
    expect(refused, String(statuses)).toBeDefined();
    expect(refused?.headers.get('content-type')).toContain('application/problem+json');
    expect(refused?.headers.get('retry-after')).toBe('1');
    // The account is never locked, and its owner's known address goes ahead of the guesses.
    expect((await owner).split('.')).toHaveLength(3);
  });
});
