import type { Sample } from './traffic.ts';

export interface Window {
  readonly sent: number;
  readonly failed: number;
  /** performance.now() of the first failure in the window, if any. */
  readonly firstFailureAt: number | undefined;
  /**
   * When the first steady success window began after the first failure: `steadyMs` of requests
   * all answered 2xx. Undefined when there was no failure, or no such window yet.
   */
  readonly recoveredAt: number | undefined;
}

/** The steady load's requests sent in [from, to), judged as a user would notice them. */
export function judgeWindow(samples: readonly Sample[], from: number, to: number, steadyMs: number): Window {
  const inWindow = samples.filter((s) => s.at >= from && s.at < to).sort((a, b) => a.at - b.at);
  const failed = inWindow.filter((s) => !s.ok);
  const firstFailureAt = failed[0]?.at;
  let recoveredAt: number | undefined;
  if (firstFailureAt !== undefined) {
    let candidate: number | undefined;
    for (const sample of inWindow) {
      if (sample.at < firstFailureAt) continue;
      if (!sample.ok) candidate = undefined;
      else if (candidate === undefined) candidate = sample.at;
      else if (sample.at - candidate >= steadyMs) {
        recoveredAt = candidate;
        break;
      }
    }
  }
  return { sent: inWindow.length, failed: failed.length, firstFailureAt, recoveredAt };
}
