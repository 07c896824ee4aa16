import { describe, expect, it } from 'vitest';
import { RecentRequests } from './recent.ts';
import type { RequestRecord } from './record.ts';

const identity = { workload: 'front-v1', namespace: 'music', app: 'front', version: 'v1' };
const record = (path: string): RequestRecord => ({
  reporter: 'source',
  startTime: 1_700_000_000_000,
  durationMs: 1.5,
  upstreamServiceTimeMs: 1,
  method: 'GET',
  path,
  protocol: 'HTTP/1.1',
  authority: 'back:8080',
  status: 200,
  responseFlags: '-',
  requestBytes: 0,
  responseBytes: 2,
  requestId: 'id-1',
  userAgent: undefined,
  forwardedFor: undefined,
  upstreamHost: '127.0.0.1:9000',
  upstreamCluster: 'outbound|8080||back.music.svc.cluster.local',
  routeName: 'default',
  source: identity,
  destination: undefined,
  mirror: false,
});

describe('RecentRequests: the last requests, for the console’s traces and logs', () => {
  it('lists what came after a seq, oldest first, the newest `limit` of them', () => {
    const recent = new RecentRequests(10);
    for (let i = 0; i < 5; i++) recent.add(record(`/${i}`));
    expect(recent.since(-1, 10).requests.map((r) => r.path)).toEqual(['/0', '/1', '/2', '/3', '/4']);
    expect(recent.since(2, 10).requests.map((r) => r.seq)).toEqual([3, 4]);
    expect(recent.since(-1, 2).requests.map((r) => r.path)).toEqual(['/3', '/4']);
    expect(recent.since(-1, 10).next).toBe(4);
  });

  it('keeps only its capacity, and redacts credentials in the path as the access log does', () => {
    const recent = new RecentRequests(3);
    for (let i = 0; i < 7; i++) recent.add(record(`/x?token=secret-${i}`));
    const { requests } = recent.since(-1, 100);
    expect(requests.map((r) => r.seq)).toEqual([4, 5, 6]);
    expect(requests.every((r) => !r.path.includes('secret') && !r.accessLog.includes('secret'))).toBe(true);
  });
});
