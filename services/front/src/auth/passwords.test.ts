import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.ts';

describe('password hashing', () => {
  it('stores scrypt with its parameters and a salt, never the password', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(hash).not.toContain('correct horse');
  });

  it('gives the same password different hashes, each of which verifies it', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password', a)).toBe(true);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('rejects a wrong password and a malformed stored value', async () => {
    const hash = await hashPassword('right password');
    expect(await verifyPassword('wrong password', hash)).toBe(false);
    expect(await verifyPassword('right password', 'right password')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$abc$8$1$c2FsdA$aGFzaA')).toBe(false);
  });

  it('verifies a hash stored with other parameters, so the cost can change later', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('right password', salt, 32, { N: 1024, r: 8, p: 1 });
    const stored = `scrypt$1024$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
    expect(await verifyPassword('right password', stored)).toBe(true);
    expect(await verifyPassword('wrong password', stored)).toBe(false);
  });
});
