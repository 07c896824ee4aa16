// Body framing (RFC 9112 §6, §7.1): a Content-Length, the chunked coding with extensions and
// trailers, or the rest of the connection. One state machine for request and response bodies.
import { Http1Error } from './error.ts';
import { chunkedBody, closeDelimitedBody, type HeadLimits, isFieldLine } from './head.ts';

const Step = {
  /** No body being read: the next bytes are a head. */
  Idle: 0,
  Length: 1,
  ChunkSize: 2,
  ChunkData: 3,
  ChunkEnd: 4,
  Trailers: 5,
  UntilClose: 6,
} as const;
type Step = (typeof Step)[keyof typeof Step];

/** Longest chunk-size line, extensions included. */
const maxChunkLine = 4096;
/** Hex digits of a chunk size: 12 are 256 TiB, and no more can overflow a double. */
const maxChunkDigits = 12;

/**
 * Reads one body after another from the bytes of a connection, handing the data to `deliver`
 * without copying (slices of the buffer it was given). `deliver` returns false to stop reading
 * after that piece: the reader fell behind, or the message was abandoned.
 */
export class BodyDecoder {
  /** Set when `read` returned -1: what was wrong with the bytes. */
  error: Http1Error | undefined;
  private readonly limits: HeadLimits;
  private readonly deliver: (piece: Buffer) => boolean;
  private step: Step = Step.Idle;
  private remaining = 0;
  private trailerBytes = 0;
  private trailerLines = 0;

  constructor(limits: HeadLimits, deliver: (piece: Buffer) => boolean) {
    this.limits = limits;
    this.deliver = deliver;
  }

  /** A head's `bodyLength`: bytes to read, `chunkedBody` or `closeDelimitedBody`; 0 reads nothing. */
  start(bodyLength: number): void {
    this.error = undefined;
    this.trailerBytes = 0;
    this.trailerLines = 0;
    if (bodyLength === chunkedBody) this.step = Step.ChunkSize;
    else if (bodyLength === closeDelimitedBody) this.step = Step.UntilClose;
    else if (bodyLength > 0) {
      this.step = Step.Length;
      this.remaining = bodyLength;
    } else this.step = Step.Idle;
  }

  /** True from `start` until the body has ended. */
  get reading(): boolean {
    return this.step !== Step.Idle;
  }

  /** True for a body that only the connection's end can end. */
  get untilClose(): boolean {
    return this.step === Step.UntilClose;
  }

  /** Forgets the body in progress (its connection is going away). */
  stop(): void {
    this.step = Step.Idle;
  }

  /**
   * Reads body bytes of `buf` from `offset` on. Returns where it stopped: where the body ended
   * (`reading` turns false), at the end of `buf`, at the start of a line not yet complete (keep the
   * bytes from there for the next call), or after the piece `deliver` refused more past; -1 when
   * the bytes break the framing (`error` says how).
   */
  read(buf: Buffer, offset: number): number {
    const length = buf.length;
    while (offset < length) {
      switch (this.step) {
        case Step.Idle:
          return offset;
        case Step.Length:
        case Step.ChunkData: {
          const take = Math.min(this.remaining, length - offset);
          const piece = offset === 0 && take === length ? buf : buf.subarray(offset, offset + take);
          offset += take;
          this.remaining -= take;
          if (this.remaining === 0) this.step = this.step === Step.Length ? Step.Idle : Step.ChunkEnd;
          if (!this.deliver(piece)) return offset;
          break;
        }
        case Step.ChunkEnd: {
          if (length - offset < 2) return offset;
          if (buf[offset] !== 13 || buf[offset + 1] !== 10) return this.fail('chunk data without its CRLF');
          offset += 2;
          this.step = Step.ChunkSize;
          break;
        }
        case Step.ChunkSize: {
          const lf = buf.indexOf(10, offset);
          if (lf === -1) {
            if (length - offset > maxChunkLine) return this.fail('chunk size line too long');
            return offset;
          }
          if (lf === offset || buf[lf - 1] !== 13) return this.fail('bare LF after a chunk size');
          const size = chunkSize(buf, offset, lf - 1);
          if (size < 0) return this.fail('invalid chunk size');
          offset = lf + 1;
          if (size === 0) this.step = Step.Trailers;
          else {
            this.remaining = size;
            this.step = Step.ChunkData;
          }
          break;
        }
        case Step.Trailers: {
          const lf = buf.indexOf(10, offset);
          const limits = this.limits;
          if (lf === -1) {
            if (this.trailerBytes + length - offset > limits.maxHeaderBytes)
              return this.fail('trailers too large', 431);
            return offset;
          }
          if (lf === offset || buf[lf - 1] !== 13) return this.fail('bare LF in the trailers');
          this.trailerBytes += lf + 1 - offset;
          if (this.trailerBytes > limits.maxHeaderBytes) return this.fail('trailers too large', 431);
          const blank = lf - 1 === offset;
          if (!blank) {
            if (++this.trailerLines > limits.maxHeaders) return this.fail('too many trailers', 431);
            if (!isFieldLine(buf.toString('latin1', offset, lf - 1))) return this.fail('malformed trailer');
          }
          offset = lf + 1;
          if (blank) {
            this.step = Step.Idle;
            return offset;
          }
          break;
        }
        case Step.UntilClose: {
          const piece = offset === 0 ? buf : buf.subarray(offset);
          offset = length;
          if (!this.deliver(piece)) return offset;
          break;
        }
      }
    }
    return offset;
  }

  private fail(message: string, status = 400): -1 {
    this.step = Step.Idle;
    this.error = new Http1Error(status, message);
    return -1;
  }
}

/**
 * The size on a chunk-size line from `from` to `to` (its CR): hex digits, then optional
 * `;extensions`, which are ignored but may hide no control character; -1 when malformed.
 */
export function chunkSize(buf: Buffer, from: number, to: number): number {
  let size = 0;
  let count = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i] as number;
    const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (v === -1) {
      if (count > 0 && (c === 59 /* ; */ || c === 32 || c === 9)) {
        for (let j = i; j < to; j++) {
          const e = buf[j] as number;
          if ((e < 32 && e !== 9) || e === 127) return -1;
        }
        return size;
      }
      return -1;
    }
    if (++count > maxChunkDigits) return -1;
    size = size * 16 + v;
  }
  return count === 0 ? -1 : size;
}
