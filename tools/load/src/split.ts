/** Counts per version (`v1`, `v2`, ...) and how they compare with a route's weights. */
export type Counts = Record<string, number>;

/** `back-v2` → `v2`; anything else as it is. */
export function versionOf(servedBy: string): string {
  return servedBy.startsWith('back-') ? servedBy.slice('back-'.length) : servedBy;
}

export function total(counts: Counts): number {
  let n = 0;
  for (const value of Object.values(counts)) n += value;
  return n;
}

/** Shares 0..1 per key; empty for no counts. */
export function shares(counts: Counts): Record<string, number> {
  const n = total(counts);
  if (n === 0) return {};
  return Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, value / n]));
}

/** `v1 89.7% v2 10.3%`, versions sorted; `-` for no counts. */
export function formatSplit(counts: Counts): string {
  const n = total(counts);
  if (n === 0) return '-';
  return Object.keys(counts)
    .filter((key) => (counts[key] ?? 0) > 0)
    .sort()
    .map((key) => `${key} ${(((counts[key] ?? 0) / n) * 100).toFixed(1)}%`)
    .join(' ');
}

export function addCounts(into: Counts, from: Counts, sign = 1): Counts {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + sign * value;
  return into;
}

/**
 * How many standard deviations a measured share may stray from the weight. 4σ: a correct split
 * fails about once in 16,000 checks, and 90/10 is still told from 80/20 at a few hundred requests.
 */
export const defaultSigmas = 4;

/**
 * Largest allowed |count − n·p| for n draws that each land on a version with probability p:
 * `sigmas` binomial standard deviations plus ½ for counting in whole requests. With p = 0 or 1
 * nothing may stray.
 */
export function binomialTolerance(n: number, p: number, sigmas = defaultSigmas): number {
  return sigmas * Math.sqrt(n * p * (1 - p)) + 0.5;
}

export interface SplitRow {
  readonly version: string;
  /** Share 0..1 the weights ask for. */
  readonly expected: number;
  readonly count: number;
  /** Share 0..1 measured. */
  readonly measured: number;
  /** Allowed deviation, as a share. */
  readonly tolerance: number;
  readonly ok: boolean;
}

export interface SplitCheck {
  readonly n: number;
  readonly rows: readonly SplitRow[];
  /** Every row within tolerance, and at least one request counted. */
  readonly ok: boolean;
}

/** Compares counts per version with expected shares (which should add up to 1). */
export function checkSplit(
  expected: Record<string, number>,
  counts: Counts,
  sigmas = defaultSigmas,
): SplitCheck {
  const n = total(counts);
  const versions = [...new Set([...Object.keys(expected), ...Object.keys(counts)])].sort();
  const rows = versions.map((version): SplitRow => {
    const p = expected[version] ?? 0;
    const count = counts[version] ?? 0;
    const tolerance = n === 0 ? 0 : binomialTolerance(n, p, sigmas);
    return {
      version,
      expected: p,
      count,
      measured: n === 0 ? 0 : count / n,
      tolerance: n === 0 ? 0 : tolerance / n,
      ok: n > 0 && Math.abs(count - n * p) <= tolerance,
    };
  });
  return { n, rows, ok: n > 0 && rows.every((row) => row.ok) };
}
