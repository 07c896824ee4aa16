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

/**
 * The known name spelt, in any case, by the token bytes `buf[start..end)` whose hash is `hash`;
 * undefined for any other name. The bytes are tchars (the parser checked them), and `| 32` maps
 * no tchar other than an upper-case letter onto a letter, digit or `-`, so the compare is exact.
 */
export function knownName(buf: Buffer, start: number, end: number, hash: number): string | undefined {
  const length = end - start;
  for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
    const index = table[slot] as number;
    if (index === -1) return undefined;
    if (lengths[index] === length && matches(buf, start, starts[index] as number, length))
      return names[index] as string;
  }
}

function matches(buf: Buffer, start: number, from: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (((buf[start + i] as number) | 32) !== bytes[from + i]) return false;
  return true;
}
