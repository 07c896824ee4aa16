/** Heads longer than this are parsed every time (a response head is typically 150–400 bytes, a request head less). */
const capacity = 1024;

/**
 * The bytes of the head that one `MessageHead` parsed last, to tell whether the next head repeats
 * them. The heads on one connection mostly do, byte for byte: an upstream's answers have the same
 * fields and sizes and a Date that changes once a second; a client's requests the same target and
 * fields (HPACK rests on the same observation). A head equal to the last one parses to what its
 * `MessageHead` already holds, so the parse is skipped: comparing costs about a tenth of reading
 * the field lines. Only bytes that parsed without error are remembered, so a repeat needs no check
 * of its own.
 */
export class RepeatedHead {
  private readonly bytes = Buffer.allocUnsafe(capacity);
  private readonly view = new DataView(this.bytes.buffer, this.bytes.byteOffset, capacity);
  /** -1 when nothing is remembered. */
  private length = -1;

  /** Whether the `length` bytes at `start` of `view` are the head remembered, compared four at a time. */
  matches(view: DataView, start: number, length: number): boolean {
    if (length !== this.length) return false;
    const mine = this.view;
    let i = 0;
    for (; i + 4 <= length; i += 4)
      if (view.getUint32(start + i, true) !== mine.getUint32(i, true)) return false;
    for (; i < length; i++) if (view.getUint8(start + i) !== mine.getUint8(i)) return false;
    return true;
  }

  /**
   * `matches` for bytes that no DataView covers yet: a socket's read arrives in memory of its own,
   * and making a view over it costs more than comparing a request head (typically under 200
   * bytes) one byte at a time.
   */
  matchesBuffer(buf: Buffer, start: number, length: number): boolean {
    if (length !== this.length) return false;
    const mine = this.bytes;
    for (let i = 0; i < length; i++) if (buf[start + i] !== mine[i]) return false;
    return true;
  }

  /** Keeps a copy of `buf[start..end)`, a head just parsed without error. */
  remember(buf: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length > capacity) {
      this.length = -1;
      return;
    }
    buf.copy(this.bytes, 0, start, end);
    this.length = length;
  }

  /** After a head that did not parse: its `MessageHead` holds a partial result. */
  forget(): void {
    this.length = -1;
  }
}
