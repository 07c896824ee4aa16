/**
 * PromQL's `histogram_quantile`: the q-quantile of observations counted per bucket (`counts`, not
 * cumulative, aligned with `bounds` and a last +Inf bucket), interpolated linearly within its
 * bucket; the first bucket starts at 0; a quantile in the +Inf bucket is the highest finite bound.
 * Undefined without observations.
 */
export function quantile(
  q: number,
  bounds: readonly number[],
  counts: readonly number[],
): number | undefined {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (!(total > 0) || bounds.length === 0) return undefined;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] as number;
    if (cumulative + count >= rank && count > 0) {
      if (i >= bounds.length) return bounds[bounds.length - 1];
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const upper = bounds[i] as number;
      return lower + (upper - lower) * ((rank - cumulative) / count);
    }
    cumulative += count;
  }
  return bounds[bounds.length - 1];
}
