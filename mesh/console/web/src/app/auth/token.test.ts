import { describe, expect, it } from 'vitest';
import { isConsoleApi, tokenClaims, tokenUsable } from './token';

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const token = (claims: Record<string, unknown>) => `${part({ alg: 'ES256' })}.${part(claims)}.c2ln`;

describe('the token as the page reads it', () => {
  it('reads who it is for and when it expires', () => {
    expect(tokenClaims(token({ sub: 'admin', exp: 1_700_000_000 }))).toEqual({
      subject: 'admin',
      expiresAt: 1_700_000_000_000,
    });
    expect(tokenClaims('not-a-token')).toBeUndefined();
    expect(tokenClaims('a.%%%.c')).toBeUndefined();
  });

  it('drops a kept token once it has expired', () => {
    const t = token({ sub: 'admin', exp: 1_000 });
    expect(tokenUsable(t, 999_000)).toBe(true);
    expect(tokenUsable(t, 1_000_000)).toBe(false);
    expect(tokenUsable('garbage', 0)).toBe(false);
  });

  it('is sent to the console’s own API only', () => {
    expect(isConsoleApi('/api/wizards/traffic-shifting?apply=true')).toBe(true);
    expect(isConsoleApi('https://elsewhere.example/api/login')).toBe(false);
    expect(isConsoleApi('/console/main.js')).toBe(false);
  });
});
