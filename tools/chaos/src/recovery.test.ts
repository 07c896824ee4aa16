import { describe, expect, it } from 'vitest';
import { judgeWindow } from './recovery.ts';
import type { Sample } from './traffic.ts';

/** One request every 100 ms from 0; `failing` says which of them failed. */
function samples(count: number, failing: (at: number) => boolean): Sample[] {
  return Array.from({ length: count }, (_, i) => ({ at: i * 100, ok: !failing(i * 100) }));
}

describe('judging the steady load around a probe', () => {
  it('counts no recovery time when nothing failed', () => {
    const window = judgeWindow(
      samples(50, () => false),
      0,
      5000,
      3000,
    );
    expect(window).toEqual({ sent: 50, failed: 0, firstFailureAt: undefined, recoveredAt: undefined });
  });

  it('recovers at the first success that begins a steady run, not at a lone success among failures', () => {
    // Failures from 1.0 s to 2.0 s, one success at 1.5 s in between, then successes to the end.
    const window = judgeWindow(
      samples(80, (at) => at >= 1000 && at <= 2000 && at !== 1500),
      0,
      8000,
      3000,
    );
    expect(window.failed).toBe(10);
    expect(window.firstFailureAt).toBe(1000);
    expect(window.recoveredAt).toBe(2100);
  });

  it('has not recovered while the successes since the last failure are shorter than the steady run', () => {
    const window = judgeWindow(
      samples(40, (at) => at >= 1000 && at < 2000),
      0,
      4000,
      3000,
    );
    expect(window.recoveredAt).toBeUndefined();
  });

  it('counts only the requests sent within the window', () => {
    const window = judgeWindow(
      samples(100, (at) => at < 2000),
      5000,
      8000,
      3000,
    );
    expect(window).toMatchObject({ sent: 30, failed: 0 });
  });
});
