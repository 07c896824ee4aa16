/**
 * Envoy response flags as bits, in the order Envoy prints them (%RESPONSE_FLAGS%:
 * `UF,URX`, `DI,FI`...), so that access log lines read as Istio's.
 */
const order = ['UH', 'UT', 'UR', 'UF', 'UC', 'UO', 'NR', 'DI', 'FI', 'DC', 'URX', 'NC', 'DPE'] as const;

export type ResponseFlagName = (typeof order)[number];

export const Flags: Readonly<Record<ResponseFlagName, number>> = Object.freeze(
  Object.fromEntries(order.map((name, index) => [name, 1 << index])) as Record<ResponseFlagName, number>,
);

const cache = new Map<number, string>();

/** `UF,URX`, or `-` when no flag is set. */
export function formatFlags(bits: number): string {
  if (bits === 0) return '-';
  let text = cache.get(bits);
  if (text === undefined) {
    text = order.filter((_, index) => bits & (1 << index)).join(',');
    cache.set(bits, text);
  }
  return text;
}
