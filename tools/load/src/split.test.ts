import { describe, expect, it } from 'vitest';
import { binomialTolerance, checkSplit, formatSplit, versionOf } from './split.ts';
import { LoadStats, outcomeOf } from './stats.ts';

describe('binomialTolerance', () => {
  it('grows with the standard deviation of the binomial, and is exact at 0 and 100 %', () => {
    // n = 1000, p = 0.1: σ = √90 ≈ 9.49.
    expect(binomialTolerance(1000, 0.1, 4)).toBeCloseTo(4 * Math.sqrt(90) + 0.5, 6);
    expect(binomialTolerance(1000, 1)).toBe(0.5);
    expect(binomialTolerance(1000, 0)).toBe(0.5);
    expect(binomialTolerance(4000, 0.5, 4)).toBeGreaterThan(binomialTolerance(1000, 0.5, 4));
  });

  it('accepts a fair 90/10 sample and rejects 80/20 at a few hundred requests', () => {
    expect(checkSplit({ v1: 0.9, v2: 0.1 }, { v1: 452, v2: 48 }).ok).toBe(true);
    expect(checkSplit({ v1: 0.9, v2: 0.1 }, { v1: 400, v2: 100 }).ok).toBe(false);
  });

  it('fails a 100 % route on a single stray answer, and with nothing counted', () => {
    expect(checkSplit({ v2: 1 }, { v2: 500 }).ok).toBe(true);
    expect(checkSplit({ v2: 1 }, { v2: 499, v1: 1 }).ok).toBe(false);
    expect(checkSplit({ v1: 1 }, {}).ok).toBe(false);
  });

  it('keeps the false alarm rate of a correct split small', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let failures = 0;
    for (let trial = 0; trial < 500; trial++) {
      const counts = { v2: 0, v3: 0 };
      for (let i = 0; i < 300; i++) counts[random() < 0.3 ? 'v2' : 'v3']++;
      if (!checkSplit({ v2: 0.3, v3: 0.7 }, counts).ok) failures++;
    }
    expect(failures).toBe(0);
  });

  it('reports each version with its measured share and tolerance', () => {
    const check = checkSplit({ v1: 0.9, v2: 0.1 }, { v1: 90, v2: 10 });
    expect(check.n).toBe(100);
    expect(check.rows.map((row) => [row.version, row.measured])).toEqual([
      ['v1', 0.9],
      ['v2', 0.1],
    ]);
    expect(check.rows[1]?.tolerance).toBeCloseTo((4 * 3 + 0.5) / 100, 6);
  });
});

describe('split accounting', () => {
  it('counts answers per X-Served-By version and leaves out requests no back answered', () => {
    const stats = new LoadStats();
    for (let i = 0; i < 9; i++)
      stats.record({ operation: 'browse', status: 200, servedBy: 'back-v1', latencyMs: 2 });
    stats.record({ operation: 'rate', status: 404, servedBy: 'back-v1', latencyMs: 2 });
    stats.record({ operation: 'browse', status: 200, servedBy: 'back-v2', latencyMs: 5 });
    stats.record({ operation: 'browse', status: 503, servedBy: undefined, latencyMs: 1 });
    stats.record({ operation: 'open', status: undefined, servedBy: undefined, latencyMs: 30 });
    expect(stats.split).toEqual({ v1: 10, v2: 1 });
    expect(formatSplit(stats.split)).toBe('v1 90.9% v2 9.1%');
    expect(stats.all.summary()).toMatchObject({ count: 13, ok: 10, clientErrors: 1, errors: 2 });
    expect(stats.byVersion.get('none')?.count).toBe(2);
    expect(stats.byOperation.get('browse')?.count).toBe(11);
    expect(stats.statuses).toEqual({ '200': 10, '404': 1, '503': 1, network: 1 });
    expect(stats.takeWindow().count).toBe(13);
    expect(stats.takeWindow().count).toBe(0);
  });

  it('classifies 2xx/3xx as ok, 4xx as client errors, 5xx and no answer as errors', () => {
    expect([200, 201, 304, 400, 404, 500, 503, undefined].map(outcomeOf)).toEqual([
      'ok',
      'ok',
      'ok',
      'client',
      'client',
      'error',
      'error',
      'error',
    ]);
    expect(versionOf('back-v3')).toBe('v3');
    expect(formatSplit({})).toBe('-');
  });
});
