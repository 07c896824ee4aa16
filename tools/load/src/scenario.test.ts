import { describe, expect, it } from 'vitest';
import { Catalog, defaultWeights, parseWeights, pickOperation, seededRandom } from './scenario.ts';

describe('the scenario', () => {
  it('picks operations in proportion to their weights, repeatably for a seed', () => {
    const random = seededRandom(5);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const op = pickOperation(parseWeights('browse=3,search=1,open=0,create=0,rate=0,save=0'), random);
      counts[op] = (counts[op] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['browse', 'search']);
    expect((counts.browse ?? 0) / 10_000).toBeCloseTo(0.75, 1);
    const a = seededRandom(9);
    const b = seededRandom(9);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });

  it('reads weights over the defaults and refuses bad ones', () => {
    expect(parseWeights('rate=0')).toEqual({ ...defaultWeights, rate: 0 });
    expect(() => parseWeights('dance=1')).toThrow(/unknown operation "dance"/);
    expect(() => parseWeights('rate=-1')).toThrow(/≥ 0/);
    expect(() => parseWeights('browse=0,search=0,open=0,create=0,rate=0,save=0')).toThrow(/at least one/);
  });

  it('learns v1 ids, v2 ratable ids and v3 Spotify ids apart', () => {
    const catalog = new Catalog();
    const random = seededRandom(1);
    catalog.learn([{ id: 'a' }]);
    expect(catalog.ratableTrack(random)).toBeUndefined();
    catalog.learn([{ id: 'b', rating: { average: null, count: 0, mine: null } }]);
    expect(catalog.ratableTrack(random)).toBe('b');
    catalog.learn([
      { id: '4uLU6hMCjMI75M1A2tKUQC', source: 'spotify', libraryId: null },
      { id: '7GhIk7Il098yCjg4BQjzvb', source: 'spotify', libraryId: 'c', rating: { count: 0 } },
    ]);
    const seen = new Set(Array.from({ length: 200 }, () => catalog.anyTrack(random)));
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
    const spotify = new Set(Array.from({ length: 100 }, () => catalog.spotifyTrack(random)));
    expect([...spotify].sort()).toEqual(['4uLU6hMCjMI75M1A2tKUQC', '7GhIk7Il098yCjg4BQjzvb']);
  });
});
