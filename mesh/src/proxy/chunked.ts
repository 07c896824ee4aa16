// HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), shared by the listeners and the upstream pool.

/** The size on a chunk-size line (hex, then optional `;extensions`); -1 when malformed. */
export function chunkSize(buf: Buffer, from: number, to: number): number {
  let size = 0;
  let count = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i] as number;
    const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (v === -1) {
      if (count > 0 && (c === 59 /* ; */ || c === 32 || c === 9)) {
        // Extensions are ignored, but no control character may hide in them.
        for (let j = i; j < to; j++) {
          const e = buf[j] as number;
          if ((e < 32 && e !== 9) || e === 127) return -1;
        }
        return size;
      }
      return -1;
    }
    if (++count > 12) return -1;
    size = size * 16 + v;
  }
  return count === 0 ? -1 : size;
}
