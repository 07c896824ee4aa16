import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.ts';

describe('TtlCache', () => {
  it('reads fresh within the TTL, stale after it, and nothing once the stale window ends', () => {
    let now = 0;
    const cache = new TtlCache<string>({ maxEntries: 10, ttlMs: 100, staleMs: 50, now: () => now });
    cache.set('a', 'A');
    expect(cache.get('a')).toEqual({ value: 'A', fresh: true });
    now = 120;
    expect(cache.get('a')).toEqual({ value: 'A', fresh: false });
    now = 150;
    expect(cache.get('a')).toBeUndefined();
  });

  it('drops the least recently used entry when full', () => {
    const cache = new TtlCache<number>({ maxEntries: 2, ttlMs: 1000, staleMs: 0 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.value).toBe(1);
    expect(cache.size).toBe(2);
  });
});
