// Field names that nearly every message carries, read as one shared lower-case string each. A name
// sliced out of a fresh head is a fresh string: every Map or Set lookup on it hashes it again, and
// the slice itself is a call. A known name costs neither: the parser hashes its bytes while it
// checks them and finds it here.

/** Lower case; letters, digits and `-` only (what `matches` relies on). */
const names = [
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-allow-origin',
  'access-control-expose-headers',
  'access-control-max-age',
  'access-control-request-headers',
  'access-control-request-method',
  'age',
  'allow',
  'authorization',
  'baggage',
  'cache-control',
  'connection',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-range',
  'content-security-policy',
  'content-type',
  'cookie',
  'date',
  'etag',
  'expect',
  'expires',
  'forwarded',
  'grpc-message',
  'grpc-status',
  'grpc-timeout',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'keep-alive',
  'last-modified',
  'link',
  'location',
  'origin',
  'pragma',
  'proxy-authorization',
  'proxy-connection',
  'range',
  'referer',
  'retry-after',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'server',
  'set-cookie',
  'strict-transport-security',
  'te',
  'traceparent',
  'tracestate',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'vary',
  'via',
  'www-authenticate',
  'x-b3-flags',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-spanid',
  'x-b3-traceid',
  'x-content-type-options',
  'x-envoy-attempt-count',
  'x-envoy-external-address',
  'x-envoy-internal',
  'x-envoy-original-path',
  'x-envoy-upstream-service-time',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-frame-options',
  'x-powered-by',
  'x-real-ip',
  'x-request-id',
];

/**
 * One step of the hash the parser computes over a name's bytes: `hash = nameHashStep(hash, byte)`
 * from 0. `| 32` folds upper-case letters onto lower-case ones, so every spelling of a name
 * lands on the same slot.
 */
export function nameHashStep(hash: number, byte: number): number {
  return (Math.imul(hash, 31) + (byte | 32)) | 0;
}

const slots = 256;
const mask = slots - 1;
/** Open addressing with linear probing, about a third full: a slot holds an index into `names`, -1 when empty. */
const table = new Int16Array(slots).fill(-1);
/** Every name's bytes, one after the other, and where each starts: compared byte to byte. */
const starts = new Int32Array(names.length);
const lengths = new Int32Array(names.length);
const bytes = new Uint8Array(names.reduce((total, name) => total + name.length, 0));
let at = 0;
names.forEach((name, index) => {
  starts[index] = at;
  lengths[index] = name.length;
  let hash = 0;
  for (let i = 0; i < name.length; i++) {
    bytes[at++] = name.charCodeAt(i);
    hash = nameHashStep(hash, name.charCodeAt(i));
  }
  let slot = hash & mask;
  while ((table[slot] as number) !== -1) slot = (slot + 1) & mask;
  table[slot] = index;
});

/** The known names, by the index `knownNameIndex` and `knownNameAt` take and give. */
export const knownNames: readonly string[] = names;

/**
 * The index in `knownNames` of the name spelt, in any case, by the token bytes `buf[start..end)`
 * whose hash is `hash`; -1 for any other name. The bytes are tchars (the parser checked them),
 * and `| 32` maps no tchar other than an upper-case letter onto a letter, digit or `-`, so the
 * compare is exact.
 */
export function knownNameIndex(buf: Buffer, start: number, end: number, hash: number): number {
  const length = end - start;
  for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
    const index = table[slot] as number;
    if (index === -1) return -1;
    if (lengths[index] === length && matches(buf, start, starts[index] as number, length)) return index;
  }
}

function matches(buf: Buffer, start: number, from: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (((buf[start + i] as number) | 32) !== bytes[from + i]) return false;
  return true;
}

/** Each tchar in lower case; 0 for every byte that is not a tchar. */
const lowerTchar = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
  lowerTchar[c.charCodeAt(0)] = c.charCodeAt(0);
for (let c = 65; c <= 90; c++) lowerTchar[c] = c | 32;

/**
 * Where the colon after the known name `index` is, when the field line at `start` names it (in
 * any case); -1 otherwise. One pass that checks and compares: what a head whose lines come in the
 * order of the connection's last head costs per name (head.ts guesses each line's name so).
 */
export function knownNameAt(buf: Buffer, start: number, index: number): number {
  const length = lengths[index] as number;
  const from = starts[index] as number;
  for (let i = 0; i < length; i++) if (lowerTchar[buf[start + i] as number] !== bytes[from + i]) return -1;
  return buf[start + length] === 58 /* : */ ? start + length : -1;
}
