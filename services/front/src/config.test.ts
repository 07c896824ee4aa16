import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const DATABASE_URL = 'postgresql://music:music@localhost:5432/music';
const pem = (curve: string) =>
  generateKeyPairSync('ec', { namedCurve: curve })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
const KEY = pem('P-256');

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ DATABASE_URL, JWT_PRIVATE_KEY: KEY, ADMIN_PASSWORD: 'a-long-secret' });
    expect(config).toMatchObject({
      PORT: 8080,
      JWT_ISSUER: 'music-front',
      JWT_TTL_SECONDS: 86_400,
      BACK_URL: 'http://back:8080',
      LOGIN_MAX_FAILURES: 5,
      LOGIN_LOCK_SECONDS: 60,
      MUSIC_DEV_DEFAULTS: false,
    });
    expect(config.WEB_ROOT).toMatch(/services\/front\/dist\/web\/browser$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each(['ADMIN_PASSWORD', 'JWT_PRIVATE_KEY'])(
    'stops outside dev defaults when %s is missing, naming it',
    (name) => {
      const env: Record<string, string> = {
        DATABASE_URL,
        JWT_PRIVATE_KEY: KEY,
        ADMIN_PASSWORD: 'a-long-secret',
      };
      delete env[name];
      expect(() => loadConfig(env)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', variable: name }),
      );
    },
  );

  it('lets dev defaults run without a signing key or an admin password', () => {
    const config = loadConfig({ DATABASE_URL, MUSIC_DEV_DEFAULTS: 'true' });
    expect(config.MUSIC_DEV_DEFAULTS).toBe(true);
    expect(config.JWT_PRIVATE_KEY).toBeUndefined();
  });

  it('rejects a signing key that is not PEM or not P-256, without echoing it', () => {
    for (const bad of ['not a key', pem('P-384')]) {
      let error: unknown;
      try {
        loadConfig({ DATABASE_URL, JWT_PRIVATE_KEY: bad, ADMIN_PASSWORD: 'a-long-secret' });
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({ variable: 'JWT_PRIVATE_KEY' });
      expect((error as Error).message).not.toContain(bad);
    }
  });

  it('accepts a key whose newlines were written as \\n, as in a .env file', () => {
    const oneLine = KEY.trim().replaceAll('\n', '\\n');
    expect(() =>
      loadConfig({ DATABASE_URL, JWT_PRIVATE_KEY: oneLine, ADMIN_PASSWORD: 'a-long-secret' }),
    ).not.toThrow();
  });

  it.each([
    ['ADMIN_PASSWORD', 'short'],
    ['LOGIN_MAX_FAILURES', '0'],
    ['BACK_URL', 'back:8080'],
    ['PORT', 'eighty'],
  ])('names %s when it is malformed', (name, value) => {
    const env = { DATABASE_URL, JWT_PRIVATE_KEY: KEY, ADMIN_PASSWORD: 'a-long-secret', [name]: value };
    expect(() => loadConfig(env)).toThrow(expect.objectContaining({ variable: name }));
  });
});
