import { describe, expect, it } from 'vitest';
import { KnownAddresses } from './known-addresses.ts';

describe('known sign-in addresses', () => {
  it('forget the least recently seen pair once full', () => {
    const known = new KnownAddresses(2);
    known.remember('admin\n192.0.2.1');
    known.remember('carol\n192.0.2.2');
    known.remember('admin\n192.0.2.1');
    known.remember('dave\n192.0.2.3');
    expect(known.has('admin\n192.0.2.1')).toBe(true);
    expect(known.has('carol\n192.0.2.2')).toBe(false);
    expect(known.has('dave\n192.0.2.3')).toBe(true);
  });
});
