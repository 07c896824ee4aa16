import type { ProbeResult } from './probe.ts';

export function formatRecovery(result: ProbeResult, limitMs: number): string {
  if (result.runtimeEnded !== undefined) return `never: runtime ${result.runtimeEnded}`;
  if (result.recoverMs === undefined) return `not within ${limitMs / 1000} s`;
  if (result.failed === 0) return '- (no failure)';
  return `${(result.recoverMs / 1000).toFixed(1)} s`;
}

export function formatDataLost(result: ProbeResult): string {
  if (result.data === undefined) return 'unknown (runtime gone)';
  const { checked, missing, unverified } = result.data;
  return `${missing} of ${checked}${unverified > 0 ? ` (${unverified} unverified)` : ''}`;
}

/** The closing table: one row per probe. */
export function formatSummary(results: readonly ProbeResult[], limitMs: number): string[] {
  const rows = [
    ['probe', 'sent', 'failed', 'time to recover', 'data lost', 'verdict'],
    ...results.map((r) => [
      r.probe.name,
      String(r.sent),
      String(r.failed),
      formatRecovery(r, limitMs),
      formatDataLost(r),
      r.ok ? 'ok' : 'FAILED',
    ]),
  ];
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd());
}
