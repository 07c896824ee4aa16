/**
 * Envoy response flags. Current Envoy keeps them in the order they were set and prints them so
 * (`source/common/stream_info/utility.cc` `toString` walks `responseFlags()`, a vector appended by
 * `setResponseFlag`): `URX,UF` (the retry limit is hit before the last failure is answered),
 * `DI,FI` (the delay runs before the abort).
 */
const names = [
  'UH',
  'UT',
  'UR',
  'UF',
  'UC',
  'UO',
  'NR',
  'DI',
  'FI',
  'DC',
  'URX',
  'NC',
  'DPE',
  'UPE',
] as const;

export type ResponseFlagName = (typeof names)[number];

/** One bit per flag, for "is it set" tests. */
export const Flags: Readonly<Record<ResponseFlagName, number>> = Object.freeze(
  Object.fromEntries(names.map((name, index) => [name, 1 << index])) as Record<ResponseFlagName, number>,
);

/**
 * The flags of one request in the order they were set, packed into a number: a bit mask (low 14
 * bits) and, above it, one 4-bit slot per flag (its index + 1), oldest in the highest slot. No
 * array per request; the 53 exact bits of a double hold 9 slots, more flags than a request gets.
 */
export type FlagSequence = number;

const maskBits = 2 ** names.length;

/** Adds `flag` (a `Flags` bit) unless it is already set. */
export function addFlag(sequence: FlagSequence, flag: number): FlagSequence {
  const mask = sequence % maskBits;
  if ((mask & flag) !== 0) return sequence;
  const slots = Math.floor(sequence / maskBits);
  return (slots * 16 + (31 - Math.clz32(flag) + 1)) * maskBits + (mask | flag);
}

/** The bit mask of a sequence, to test with `Flags`. */
export function flagMask(sequence: FlagSequence): number {
  return sequence % maskBits;
}

const cache = new Map<FlagSequence, string>();

/** `URX,UF`, or `-` when no flag is set. */
export function formatFlags(sequence: FlagSequence): string {
  if (sequence === 0) return '-';
  let text = cache.get(sequence);
  if (text === undefined) {
    const order: string[] = [];
    for (let slots = Math.floor(sequence / maskBits); slots > 0; slots = Math.floor(slots / 16))
      order.unshift(names[(slots % 16) - 1] as string);
    text = order.join(',');
    if (cache.size < 4096) cache.set(sequence, text);
  }
  return text;
}

/** A sequence of one flag. */
export function singleFlag(flag: number): FlagSequence {
  return addFlag(0, flag);
}
