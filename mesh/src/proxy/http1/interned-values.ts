// Field values that repeat from message to message and that the data path then compares or looks
// up: the Host of every request, which keys the routing's authority cache and the telemetry's
// one-entry caches. A value sliced out of a fresh head is a fresh string each time, so each of
// those compares its characters (in V8's runtime, about 450 instructions for a sliced string) and
// each Map lookup hashes it again. Read here, a value seen before is the same string as before:
// compared by identity, its hash already computed.

/** Longer values are sliced as they come (no Host is this long in practice). */
const maxLength = 64;
const slots = 64;
const mask = slots - 1;
/** Direct-mapped: one value per slot, the last one seen, so a client sending endless new values grows nothing. */
const strings: (string | undefined)[] = new Array(slots).fill(undefined);
const bytes = new Uint8Array(slots * maxLength);

/**
 * The string for the bytes `buf[start..end)`, which are `text` from `base` on: the one returned
 * before for the same bytes while its slot holds it, else a new one.
 */
export function internedValue(buf: Buffer, start: number, end: number, text: string, base: number): string {
  const length = end - start;
  if (length > maxLength) return text.slice(start - base, end - base);
  let hash = length;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + (buf[i] as number)) | 0;
  const slot = hash & mask;
  const at = slot * maxLength;
  const known = strings[slot];
  if (known !== undefined && known.length === length) {
    let i = 0;
    while (i < length && buf[start + i] === bytes[at + i]) i++;
    if (i === length) return known;
  }
  // A string of its own, not a slice that would keep the whole head alive.
  const value = buf.toString('latin1', start, end);
  strings[slot] = value;
  bytes.set(buf.subarray(start, end), at);
  return value;
}
