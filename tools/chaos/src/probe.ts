import { checkAcknowledged, type DataCheck } from './data-loss.ts';
import { judgeWindow } from './recovery.ts';
import type { Stack } from './stack.ts';
import type { Traffic } from './traffic.ts';

export interface ProbeContext {
  readonly stack: Stack;
  /** An admin's bearer token, for the steady load and the data check. */
  readonly token: string;
  readonly traffic: Traffic;
  out(line: string): void;
}

/** What a probe did, in a phrase, and its own verdict where it has one (e.g. a share of logins). */
export interface ProbeAction {
  readonly detail: string;
  readonly ok?: boolean;
}

export interface Probe {
  readonly name: string;
  readonly title: string;
  /** Set-up outside the measured window (e.g. a second version to route between). */
  prepare?(context: ProbeContext): Promise<void>;
  /** The harm itself; the measured window starts just before it. */
  run(context: ProbeContext): Promise<ProbeAction>;
  /** A phrase once the load has recovered (or the limit passed), e.g. the restart count. */
  after?(context: ProbeContext): Promise<string>;
}

export interface ProbeLimits {
  /** How long after the harm the load may take to recover. */
  readonly recoverMs: number;
  /** A run of successes this long counts as recovered. */
  readonly steadyMs: number;
}

export interface ProbeResult {
  readonly probe: Probe;
  readonly sent: number;
  readonly failed: number;
  /** First failure to the first steady success window; 0 with no failure; undefined if never. */
  readonly recoverMs: number | undefined;
  readonly data: DataCheck | undefined;
  /** How the runtime's process ended during the probe, if it did. */
  readonly runtimeEnded: string | undefined;
  readonly detail: string;
  readonly ok: boolean;
}

/** Without failures, the load is watched this long after the harm before the probe ends. */
const quietMs = 5000;

/** Runs one probe under the steady load: the harm, then the wait for recovery, then the data check. */
export async function runProbe(
  probe: Probe,
  context: ProbeContext,
  limits: ProbeLimits,
): Promise<ProbeResult> {
  const { stack, traffic, out } = context;
  await probe.prepare?.(context);
  const from = performance.now();
  const action = await probe.run(context);
  const acted = performance.now();
  out(`  ${action.detail}`);
  let lastReport = acted;
  for (;;) {
    const now = performance.now();
    const window = judgeWindow(traffic.samples, from, now, limits.steadyMs);
    if (!stack.alive()) {
      out(`  the runtime ${stack.exitReason()}`);
      break;
    }
    if (window.firstFailureAt === undefined && now - acted >= quietMs) break;
    if (window.recoveredAt !== undefined) break;
    if (now - from >= limits.recoverMs) {
      out(`  not recovered within ${limits.recoverMs / 1000} s: giving up on this probe`);
      break;
    }
    if (now - lastReport >= 5000) {
      out(`  … ${((now - from) / 1000).toFixed(0)} s: ${window.sent} sent, ${window.failed} failed`);
      lastReport = now;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const window = judgeWindow(traffic.samples, from, performance.now(), limits.steadyMs);
  const recoverMs =
    window.firstFailureAt === undefined
      ? 0
      : window.recoveredAt === undefined
        ? undefined
        : window.recoveredAt - window.firstFailureAt;
  const data = stack.alive()
    ? await checkAcknowledged(stack.url, context.token, traffic.acknowledged)
    : undefined;
  const after = stack.alive() ? await probe.after?.(context) : undefined;
  if (after) out(`  ${after}`);
  const detail = after ? `${action.detail}; ${after}` : action.detail;
  const ok =
    stack.alive() &&
    recoverMs !== undefined &&
    data !== undefined &&
    data.missing === 0 &&
    data.unverified === 0 &&
    (action.ok ?? true);
  return {
    probe,
    sent: window.sent,
    failed: window.failed,
    recoverMs,
    data,
    runtimeEnded: stack.exitReason(),
    detail,
    ok,
  };
}
