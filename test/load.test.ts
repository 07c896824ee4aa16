import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadProgress, runLoad } from '../tools/load/src/load.ts';
import { type RunningMusic, removeDataDir, startMusic } from './support/music.ts';

describe('the load generator against the app', () => {
  let music: RunningMusic;

  beforeAll(async () => {
    music = await startMusic();
  });

  afterAll(async () => {
    await music?.stop();
    if (music) await removeDataDir(music.dataDir);
  });

  it('offers 50 req/s for 3 s, every answer from v1, and the counts add up', async () => {
    const progress: LoadProgress[] = [];
    const report = await runLoad(
      { url: music.url, rps: 50, durationS: 3, users: 4, seed: 3, progressIntervalMs: 500 },
      (p) => progress.push(p),
    );
    expect(report.offered).toBe(150);
    expect(report.sent + report.dropped + report.unsent).toBe(report.offered);
    expect(report.total.count).toBe(report.sent);
    const sum = (group: Record<string, { count: number }>) =>
      Object.values(group).reduce((n, tally) => n + tally.count, 0);
    expect(sum(report.operations)).toBe(report.total.count);
    expect(sum(report.versions)).toBe(report.total.count);
    expect(Object.values(report.statuses).reduce((a, b) => a + b, 0)).toBe(report.total.count);
    expect(report.total.ok + report.total.clientErrors + report.total.errors).toBe(report.total.count);
    // v1 alone answers; it has no ratings, so nothing is rated.
    expect(report.split).toEqual({ v1: report.total.count });
    expect(Object.keys(report.versions)).toEqual(['v1']);
    expect(report.operations.rate).toBeUndefined();
    expect(report.total.errors).toBe(0);
    expect(report.logins).toEqual({ count: 4, failed: 0 });
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.at(-1)?.split.v1).toBeGreaterThan(0);
  });
});
