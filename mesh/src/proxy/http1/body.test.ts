import { describe, expect, it } from 'vitest';
import { BodyDecoder } from './body.ts';
import { chunkedBody, closeDelimitedBody, envoyHeadLimits } from './head.ts';

interface Outcome {
  /** The body's data, latin1. */
  data: string;
  /** The bytes after the body, latin1: the next message. */
  rest: string;
  /** What was wrong with the framing, when it was. */
  error?: string | undefined;
  status?: number | undefined;
  complete: boolean;
}

/**
 * Feeds `wire` to a decoder in pieces of `step` bytes, keeping an incomplete line's bytes for the
 * next piece as both connections do, until the body ends or the framing breaks.
 */
function decode(bodyLength: number, wire: string, step = wire.length): Outcome {
  let data = '';
  const decoder = new BodyDecoder(envoyHeadLimits, (piece) => {
    data += piece.toString('latin1');
    return true;
  });
  decoder.start(bodyLength);
  const bytes = Buffer.from(wire, 'latin1');
  let kept = Buffer.alloc(0);
  for (let at = 0; at < bytes.length; at += step) {
    const buf = Buffer.concat([kept, bytes.subarray(at, at + step)]);
    const offset = decoder.read(buf, 0);
    if (offset < 0)
      return {
        data,
        rest: '',
        error: decoder.error?.message,
        status: decoder.error?.httpStatus,
        complete: false,
      };
    kept = buf.subarray(offset);
    if (!decoder.reading) {
      return {
        data,
        rest: Buffer.concat([kept, bytes.subarray(at + step)]).toString('latin1'),
        complete: true,
      };
    }
  }
  return { data, rest: kept.toString('latin1'), complete: false };
}

const next = 'GET /next HTTP/1.1\r\n\r\n';
const chunked = '5;ext=1\r\nhello\r\n6 ; a="q"\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n';

describe('BodyDecoder', () => {
  it('reads a Content-Length body however it is split, and leaves the next message', () => {
    for (const step of [1, 2, 7, 100]) {
      expect(decode(11, `hello world${next}`, step)).toEqual({
        data: 'hello world',
        rest: next,
        complete: true,
      });
    }
  });

  it('reads a chunked body split at every byte: extensions ignored, trailers read and dropped', () => {
    for (const step of [1, 3, 1000]) {
      expect(decode(chunkedBody, `${chunked}${next}`, step)).toEqual({
        data: 'hello world',
        rest: next,
        complete: true,
      });
    }
  });

  it('reads a close-delimited body to the end of the bytes and never completes on its own', () => {
    expect(decode(closeDelimitedBody, 'all of it', 4)).toEqual({
      data: 'all of it',
      rest: '',
      complete: false,
    });
  });

  it('stops after a piece the reader refuses and goes on from there', () => {
    const pieces: string[] = [];
    let accept = false;
    const decoder = new BodyDecoder(envoyHeadLimits, (piece) => {
      pieces.push(piece.toString('latin1'));
      return accept;
    });
    decoder.start(chunkedBody);
    const buf = Buffer.from('3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n', 'latin1');
    const stopped = decoder.read(buf, 0);
    expect(pieces).toEqual(['abc']);
    expect(decoder.reading).toBe(true);
    accept = true;
    expect(decoder.read(buf, stopped)).toBe(buf.length);
    expect(pieces).toEqual(['abc', 'def']);
    expect(decoder.reading).toBe(false);
  });

  // Exact bytes that once ended the runtime or smuggled a request (mesh/test/listener-regressions),
  // and the rest of what RFC 9112 §7.1 does not allow: refused the same for requests and responses.
  it.each([
    ['chunk size -3', '-3\r\nabc\r\n0\r\n\r\n', 'invalid chunk size'],
    ['chunk size past 64 bits', 'FFFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n', 'invalid chunk size'],
    ['chunk data without its CRLF', '3\r\nabcdef\r\n0\r\n\r\n', 'chunk data without its CRLF'],
    ['a chunk size of 13 hex digits', '0000000000005\r\nhello\r\n0\r\n\r\n', 'invalid chunk size'],
    ['an invalid chunk size', '5\r\nhello\r\nzz\r\n', 'invalid chunk size'],
    ['an empty chunk size', '\r\nhello\r\n', 'invalid chunk size'],
    ['a control character in an extension', '5;a\x01b\r\nhello\r\n0\r\n\r\n', 'invalid chunk size'],
    ['a bare CR in an extension', '5;a\rb\r\nhello\r\n0\r\n\r\n', 'invalid chunk size'],
    ['a bare LF after a chunk size', '5\nhello\r\n0\r\n\r\n', 'bare LF after a chunk size'],
    ['a chunk-size line over 4 KiB', `5;${'x'.repeat(5000)}`, 'chunk size line too long'],
    ['a trailer without a colon', '0\r\nno colon\r\n\r\n', 'malformed trailer'],
    ['a control character in a trailer', '0\r\nX-T: a\x01b\r\n\r\n', 'malformed trailer'],
    ['a bare LF in the trailers', '0\r\nX-T: t\n\r\n', 'bare LF in the trailers'],
    ['trailers over 60 KiB', `0\r\nX-T: ${'a'.repeat(61 * 1024)}\r\n\r\n`, 'trailers too large'],
  ])('refuses %s, whole or piece by piece', (_name, wire, message) => {
    expect(decode(chunkedBody, wire)).toMatchObject({ error: message });
    expect(decode(chunkedBody, wire, wire.length > 4096 ? 512 : 1)).toMatchObject({ error: message });
  });

  it('answers trailers past the limits with 431, like a head', () => {
    const many = `0\r\n${Array.from({ length: 101 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`;
    expect(decode(chunkedBody, many)).toMatchObject({ error: 'too many trailers', status: 431 });
  });
});
