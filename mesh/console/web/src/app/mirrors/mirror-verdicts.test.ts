import { describe, expect, it } from 'vitest';
import { clusterLabel, mirrorRows, ms, percentOf, routeLabel, verdict } from './mirror-verdicts';
import type { MirrorOutcome, RouteComparison } from './mirrors-api';

const v2 = 'outbound|8080|v2|back.music.svc.cluster.local';
const v3 = 'outbound|8080|v3|back.music.svc.cluster.local';

const side = (cluster: string, status: number, durationMs: number, bodyHash?: string): MirrorOutcome => ({
  status,
  responseFlags: '-',
  durationMs,
  bytes: 16,
  bodyHash,
  workload: clusterLabel(cluster).replace(' ', '-'),
  cluster,
});

// 40 requests mirrored from v2 to v3, 10 answered 500 by v3 (the last two as examples).
const canary: RouteComparison = {
  route: 'back.music/canary',
  namespace: 'music',
  primaryCluster: v2,
  shadowCluster: v3,
  total: 40,
  statusDiffers: 10,
  bodyDiffers: 10,
  incomplete: 0,
  primaryMeanMs: 4.25,
  shadowMeanMs: 21.9,
  examples: [
    {
      requestId: 'req-1',
      startTime: 1_700_000_000_000,
      method: 'GET',
      path: '/back/broken?n=1',
      primary: side(v2, 200, 2.48, 'AlUlu0Xy1ZRbgyDJMe_RqP-nzEY'),
      shadow: side(v3, 500, 19.1, 'S2zdMn3gQQNXp3Tk5_4cA36xVzw'),
    },
    {
      startTime: 1_700_000_000_500,
      method: 'POST',
      path: '/back/broken?n=2',
      primary: { ...side(v2, 503, 1, undefined), responseFlags: 'UF' },
      shadow: side(v3, 500, 20, 'S2zdMn3gQQNXp3Tk5_4cA36xVzw'),
    },
  ],
};

describe('percentOf', () => {
  it('rounds to whole percents, to one decimal below 10%', () => {
    expect(percentOf(10, 40)).toBe('25%');
    expect(percentOf(1, 3)).toBe('33%');
    expect(percentOf(1, 40)).toBe('2.5%');
    expect(percentOf(0, 40)).toBe('0%');
    expect(percentOf(0, 0)).toBe('—');
  });
});

describe('names', () => {
  it('shortens clusters to service and subset, and splits the runtime’s route names', () => {
    expect(clusterLabel(v3)).toBe('back v3');
    expect(clusterLabel('outbound|8080||back.music.svc.cluster.local')).toBe('back');
    expect(clusterLabel('passthrough')).toBe('passthrough');
    expect(routeLabel('back.music/canary', 'music')).toEqual({
      virtualService: 'music/back',
      route: 'canary',
    });
    expect(routeLabel('-', 'music')).toEqual({ virtualService: 'music', route: '-' });
    expect(ms(4.25)).toBe('4.3 ms');
    expect(ms(21.9)).toBe('22 ms');
    expect(ms(Number.NaN)).toBe('—');
  });
});

describe('verdict', () => {
  it('says the shadow answered alike when nothing differs, and for how many when one thing does', () => {
    expect(verdict({ ...canary, statusDiffers: 0, bodyDiffers: 0 })).toBe(
      'v3 answered like v2 for all 40 requests',
    );
    expect(verdict({ ...canary, total: 100, statusDiffers: 0, bodyDiffers: 2 })).toBe(
      'v3 answered like v2 for 98 of 100 requests (body differs in 2%)',
    );
    expect(verdict({ ...canary, statusDiffers: 0, bodyDiffers: 0, incomplete: 2 })).toMatch(
      /; 2 bodies could not be compared \(cut off, timed out or no endpoint\)$/,
    );
    expect(verdict({ ...canary, statusDiffers: 3, bodyDiffers: 0 })).toBe(
      'v3 answered like v2 for 37 of 40 requests (status differs in 7.5%)',
    );
  });

  it('gives both shares when status and body differ (one request may count in both)', () => {
    expect(verdict(canary)).toBe('status differs in 25% (10 of 40), body in 25% (10 of 40)');
  });

  it('names whole services when the shadow is another service', () => {
    expect(
      verdict({
        ...canary,
        shadowCluster: 'outbound|8080||back-next.music.svc.cluster.local',
        total: 1,
        statusDiffers: 0,
        bodyDiffers: 0,
      }),
    ).toBe('back-next answered like back v2 for the one request');
  });
});

describe('mirrorRows', () => {
  it('makes one row per route and shadow, with shares, latencies and the newest example first', () => {
    const [row, ...rest] = mirrorRows([
      { ...canary, route: 'back.music/tracks', statusDiffers: 0, bodyDiffers: 0, examples: [] },
      canary,
    ]);
    expect(rest.map((r) => r.route)).toEqual(['tracks']);
    expect(row).toMatchObject({
      virtualService: 'music/back',
      route: 'canary',
      primary: 'back v2',
      shadow: 'back v3',
      total: 40,
      statusShare: '25%',
      bodyShare: '25%',
      primaryMs: '4.3 ms',
      shadowMs: '22 ms',
      slower: '+18 ms',
      same: false,
    });
    expect(row?.examples.map((e) => [e.method, e.path, e.requestId, e.primary, e.shadow])).toEqual([
      [
        'POST',
        '/back/broken?n=2',
        '—',
        { status: '503 UF', ms: '1.0 ms', hash: '—', fullHash: 'the body did not arrive whole' },
        { status: '500', ms: '20 ms', hash: 'S2zdMn3g', fullHash: 'S2zdMn3gQQNXp3Tk5_4cA36xVzw' },
      ],
      [
        'GET',
        '/back/broken?n=1',
        'req-1',
        { status: '200', ms: '2.5 ms', hash: 'AlUlu0Xy', fullHash: 'AlUlu0Xy1ZRbgyDJMe_RqP-nzEY' },
        { status: '500', ms: '19 ms', hash: 'S2zdMn3g', fullHash: 'S2zdMn3gQQNXp3Tk5_4cA36xVzw' },
      ],
    ]);
    expect(rest[0]?.same).toBe(true);
  });
});
