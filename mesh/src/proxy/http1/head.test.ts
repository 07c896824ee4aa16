import { describe, expect, it } from 'vitest';
import { Http1Error } from './error.ts';
import {
  chunkedBody,
  closeDelimitedBody,
  envoyHeadLimits,
  headEnd,
  type MessageHead,
  RequestHead,
  ResponseHead,
} from './head.ts';

/** Reads `wire` the way both sides do: find the end of the head in the bytes, then parse it. */
function read<T extends RequestHead | ResponseHead>(head: T, wire: string): T | Http1Error {
  const buf = Buffer.from(wire, 'latin1');
  const end = headEnd(buf, 0, envoyHeadLimits);
  if (end === -1) throw new Error(`incomplete head: ${JSON.stringify(wire)}`);
  if (typeof end !== 'number') return end;
  return head.parse(buf, 0, end, envoyHeadLimits) ?? head;
}

const request = (wire: string) => read(new RequestHead(), wire);
const response = (wire: string) => read(new ResponseHead(), wire);

function parsed<T extends MessageHead>(result: T | Http1Error): T {
  if (result instanceof Http1Error) throw result;
  return result;
}

// Field lines that break the rules, each refused with the same error whichever way the message
// goes; `status` is what a listener answers.
const brokenFields: [string, string, number, string][] = [
  ['a bare LF between header lines', 'X-A: 1\nX-B: 2\r\n', 400, 'control character in a header value'],
  ['a bare CR in a value', 'X-A: 1\rX-B: 2\r\n', 400, 'control character in a header value'],
  ['a control character in a value', 'X-A: a\x01b\r\n', 400, 'control character in a header value'],
  ['DEL in a value', 'X-A: a\x7fb\r\n', 400, 'control character in a header value'],
  ['an obs-fold line', 'X-A: 1\r\n 2\r\n', 400, 'header line without a name and colon'],
  ['an obs-fold line holding a colon', 'X-A: 1\r\n\tX-B: 2\r\n', 400, 'header name is not a token'],
  ['whitespace before the colon', 'X-A : 1\r\n', 400, 'header name is not a token'],
  ['a line without a colon', 'no-colon\r\n', 400, 'header line without a name and colon'],
  ['a name that is not a token', 'X(A): 1\r\n', 400, 'header name is not a token'],
  [
    'Content-Length with Transfer-Encoding',
    'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n',
    400,
    'both Content-Length and Transfer-Encoding',
  ],
  [
    'Transfer-Encoding with Content-Length',
    'Transfer-Encoding: chunked\r\nContent-Length: 5\r\n',
    400,
    'both Content-Length and Transfer-Encoding',
  ],
  [
    'differing Content-Lengths',
    'Content-Length: 3\r\nContent-Length: 4\r\n',
    400,
    'differing Content-Length values',
  ],
  ['a non-numeric Content-Length', 'Content-Length: 4x\r\n', 400, 'invalid Content-Length'],
  ['a signed Content-Length', 'Content-Length: +4\r\n', 400, 'invalid Content-Length'],
  ['a Content-Length list', 'Content-Length: 4, 4\r\n', 400, 'invalid Content-Length'],
  ['a coding before chunked', 'Transfer-Encoding: gzip, chunked\r\n', 501, 'unsupported transfer coding'],
  [
    'a coding after chunked',
    'Transfer-Encoding: chunked, gzip\r\n',
    400,
    'chunked is not the last transfer coding',
  ],
  [
    'Transfer-Encoding over two lines',
    'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n',
    400,
    'chunked is not the last transfer coding',
  ],
  [
    'more than 100 header lines',
    Array.from({ length: 101 }, (_, i) => `X-${i}: ${i}\r\n`).join(''),
    431,
    'too many headers',
  ],
  ['a head over 60 KiB', `X-Big: ${'a'.repeat(61 * 1024)}\r\n`, 431, 'head too large'],
];

describe('request and response heads: the same rules both ways', () => {
  it.each(brokenFields)(
    'refuses %s in a request and in a response alike',
    (_name, fields, status, message) => {
      const asRequest = request(`POST / HTTP/1.1\r\nHost: h\r\n${fields}\r\n`);
      const asResponse = response(`HTTP/1.1 200 OK\r\n${fields}\r\n`);
      expect(asRequest).toBeInstanceOf(Http1Error);
      expect(asRequest).toMatchObject({ code: 'HPE_INVALID', httpStatus: status, message });
      expect(asResponse).toBeInstanceOf(Http1Error);
      expect(asResponse).toMatchObject({ code: 'HPE_INVALID', message });
    },
  );

  it('refuses Transfer-Encoding in HTTP/1.0 both ways (RFC 9112 §6.1)', () => {
    const fields = 'Transfer-Encoding: chunked\r\n\r\n';
    expect(request(`POST / HTTP/1.0\r\n${fields}`)).toMatchObject({
      message: 'Transfer-Encoding in HTTP/1.0',
    });
    expect(response(`HTTP/1.0 200 OK\r\n${fields}`)).toMatchObject({
      message: 'Transfer-Encoding in HTTP/1.0',
    });
  });

  it('refuses a bare LF in a head that has not ended, both ways, without waiting for more', () => {
    expect(request('GET / HTTP/1.1\nHost: x')).toMatchObject({
      httpStatus: 400,
      message: 'bare LF in the head',
    });
    expect(response('HTTP/1.1 200 OK\nContent-Length: 0')).toMatchObject({ message: 'bare LF in the head' });
  });

  it('refuses a head over 60 KiB with no end in sight, both ways', () => {
    const big = `X-Big: ${'a'.repeat(61 * 1024)}`;
    expect(request(`GET / HTTP/1.1\r\n${big}`)).toMatchObject({ httpStatus: 431, message: 'head too large' });
    expect(response(`HTTP/1.1 200 OK\r\n${big}`)).toMatchObject({ message: 'head too large' });
  });

  it('accepts what sits just inside the limits both ways: 100 lines, 60 KiB, a tab and obs-text in values', () => {
    const lines = Array.from({ length: 98 }, (_, i) => `X-${i}: ${i}\r\n`).join('');
    const fields = `${lines}X-Tab: a\tb\r\nX-Latin: caf\xe9\r\n`;
    const req = parsed(request(`GET / HTTP/1.1\r\nHost: h\r\n${fields.replace('X-0: 0\r\n', '')}\r\n`));
    const res = parsed(response(`HTTP/1.1 200 OK\r\n${fields}\r\n`));
    expect(req.raw).toHaveLength(200);
    expect(res.raw).toHaveLength(200);
    expect(res.raw.slice(-4)).toEqual(['x-tab', 'a\tb', 'x-latin', 'caf\xe9']);
    const prefix = 'HTTP/1.1 200 OK\r\nX-Big: ';
    expect(parsed(response(`${prefix}${'a'.repeat(60 * 1024 - prefix.length)}\r\n\r\n`)).raw).toHaveLength(2);
  });

  it('finds a control character at every position of a value, and keeps HTAB and obs-text at every position', () => {
    for (let at = 0; at < 9; at++) {
      // Never starting or ending with whitespace, which is not part of the value.
      const value = (byte: number) => `u${'v'.repeat(at)}${String.fromCharCode(byte)}${'w'.repeat(9 - at)}`;
      for (const byte of [0x00, 0x01, 0x0a, 0x0d, 0x1f, 0x7f]) {
        const fields = `X-A: ${value(byte)}\r\nX-B: 1\r\n`;
        expect(request(`GET / HTTP/1.1\r\nHost: h\r\n${fields}\r\n`)).toBeInstanceOf(Http1Error);
        expect(response(`HTTP/1.1 200 OK\r\n${fields}\r\n`)).toBeInstanceOf(Http1Error);
      }
      for (const byte of [0x09, 0x20, 0x7e, 0x80, 0xff]) {
        const res = parsed(response(`HTTP/1.1 200 OK\r\nX-A: ${value(byte)}\r\nX-B: 1\r\n\r\n`));
        expect(res.raw).toEqual(['x-a', value(byte), 'x-b', '1']);
      }
    }
  });

  it('reads the same framing facts from both: length, chunked, persistence, repeats joined', () => {
    const fields =
      'Content-Length: 12\r\nContent-Length: 12\r\nConnection: keep-alive\r\nConnection: close\r\n';
    const req = parsed(request(`POST / HTTP/1.1\r\nHost: h\r\n${fields}\r\n`));
    const res = parsed(response(`HTTP/1.1 200 OK\r\n${fields}\r\n`));
    for (const head of [req, res]) {
      expect(head).toMatchObject({ contentLength: 12, chunked: false, persistent: false });
      expect(head.connection).toBe('keep-alive, close');
    }
    const chunked = parsed(response('HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n'));
    expect(chunked).toMatchObject({ chunked: true, contentLength: -1, persistent: true });
    expect(parsed(response('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n')).persistent).toBe(true);
    expect(parsed(request('GET / HTTP/1.0\r\n\r\n')).persistent).toBe(false);
  });

  it('reads names in lower case, as the codec of Envoy does, and values without surrounding whitespace', () => {
    const head = parsed(
      request('GET / HTTP/1.1\r\nhOsT:  h \t\r\nX-Empty:\r\nX-A:1\r\nUser-Agent: u\r\n\r\n'),
    );
    expect(head.raw).toEqual(['host', 'h', 'x-empty', '', 'x-a', '1', 'user-agent', 'u']);
    expect(head.host).toBe('h');
    expect(head.userAgent).toBe('u');
  });

  it('reads a name that is almost a known one as itself (CONTENT-LENGTHS, host2, hos)', () => {
    const head = parsed(
      request(
        'GET / HTTP/1.1\r\nHost: h\r\nCONTENT-LENGTHS: 4\r\nhost2: x\r\nhos: y\r\nX_Forwarded-For: z\r\n\r\n',
      ),
    );
    expect(head.raw).toEqual([
      'host',
      'h',
      'content-lengths',
      '4',
      'host2',
      'x',
      'hos',
      'y',
      'x_forwarded-for',
      'z',
    ]);
    expect(head.host).toBe('h');
    expect(head.bodyLength).toBe(0);
  });
});

describe('heads read one after another on a connection', () => {
  it('reads each name as sent when the last head had another name, a longer one or a broken line there', () => {
    const head = new RequestHead();
    parsed(
      read(
        head,
        'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\nAccept: */*\r\n\r\n',
      ),
    );
    const next = parsed(
      read(
        head,
        'GET / HTTP/1.1\r\nHOST: h\r\nContent-Lengths: 4\r\nconnection: keep-alive\r\nX-A: 1\r\n\r\n',
      ),
    );
    expect(next.raw).toEqual(['host', 'h', 'content-lengths', '4', 'connection', 'keep-alive', 'x-a', '1']);
    expect(next.bodyLength).toBe(0);
    expect(next.persistent).toBe(true);
    expect(read(head, 'GET / HTTP/1.1\r\nHost : h\r\n\r\n')).toEqual(
      new Http1Error(400, 'header name is not a token'),
    );
    expect(read(head, 'GET / HTTP/1.1\r\nHost\r\n\r\n')).toEqual(
      new Http1Error(400, 'header line without a name and colon'),
    );
    expect(parsed(read(head, 'GET / HTTP/1.1\r\nhost: h\r\nContent-Length: 2\r\n\r\n')).bodyLength).toBe(2);
  });

  it('matches a name the last head had only byte for byte: a CR for its `-` or a control character for its digit is refused', () => {
    const head = new RequestHead();
    const first = 'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nX-B3-SpanId: 1\r\n\r\n';
    parsed(read(head, first));
    const again = parsed(
      read(head, 'GET / HTTP/1.1\r\nHOST: h\r\nCONTENT-length: 2\r\nx-b3-SPANID: 1\r\n\r\n'),
    );
    expect(again.raw).toEqual(['host', 'h', 'content-length', '2', 'x-b3-spanid', '1']);
    expect(again.bodyLength).toBe(2);
    for (const [line, broken] of [
      ['Content-Length: 0', 'Content\rLength: 0'],
      ['X-B3-SpanId: 1', 'X-B\x13-SpanId: 1'],
      ['X-B3-SpanId: 1', 'X-B3\r-SpanId: 1'],
    ] as const) {
      parsed(read(head, first));
      expect(read(head, first.replace(line, broken))).toBeInstanceOf(Http1Error);
    }
  });
});

describe('request heads', () => {
  it('reads every Host as sent, after hundreds of others of the same length and one too long to keep', () => {
    const hosts = Array.from({ length: 300 }, (_, i) => `svc-${String(i).padStart(3, '0')}.music:8080`);
    hosts.push(`${'a'.repeat(70)}.example`);
    // Twice over, so that values seen before, and values whose slot another took since, are read again.
    for (const host of [...hosts, ...hosts.toReversed()]) {
      const head = parsed(request(`GET / HTTP/1.1\r\nHost: ${host}\r\nX-A: ${host}\r\n\r\n`));
      expect(head.host).toBe(host);
      expect(head.raw).toEqual(['host', host, 'x-a', host]);
    }
  });

  it.each([
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505],
    ['a lower-case protocol name', 'GET / http/1.1\r\nHost: h\r\n\r\n', 400],
    ['no version', 'GET /\r\nHost: h\r\n\r\n', 400],
    ['a garbage request line', 'hello\r\n\r\n', 400],
    ['a method that is not a token', 'GE(T / HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['a NUL in the target', 'GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['a bare CR in the target', 'GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['a bare CR after the version', 'GET / HTTP/1.1\rHost: h\r\nX-A: 1\r\n\r\n', 400],
    ['a bare LF after the version', 'GET / HTTP/1.1\nHost: h\r\nX-A: 1\r\n\r\n', 400],
    ['no Host with an origin-form target', 'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n', 400],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
    ['CONNECT with a body', 'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nContent-Length: 2\r\n\r\n', 400],
    ['CONNECT chunked', 'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nTransfer-Encoding: chunked\r\n\r\n', 501],
  ])('refuses %s', (_name, wire, status) => {
    expect(request(wire)).toMatchObject({ httpStatus: status });
  });

  it('has a body only when framed: Content-Length bytes, chunked, else none (RFC 9112 §6.3)', () => {
    expect(parsed(request('POST / HTTP/1.1\r\nHost: h\r\n\r\n')).bodyLength).toBe(0);
    expect(parsed(request('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\n')).bodyLength).toBe(7);
    const chunked = 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n';
    expect(parsed(request(chunked)).bodyLength).toBe(chunkedBody);
  });

  it('takes HTTP/1.0 and absolute-form targets without Host, and CONNECT with Content-Length: 0', () => {
    expect(parsed(request('GET /old HTTP/1.0\r\n\r\n'))).toMatchObject({ http11: false, host: undefined });
    expect(parsed(request('GET http://back/a HTTP/1.1\r\n\r\n')).target).toBe('http://back/a');
    const connect = parsed(request('CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nContent-Length: 0\r\n\r\n'));
    expect(connect).toMatchObject({ method: 'CONNECT', target: 'a:443', bodyLength: 0 });
  });
});

describe('response heads', () => {
  it.each([
    ['a status line that is not HTTP', 'NOT HTTP\r\n\r\n'],
    ['HTTP/2.0', 'HTTP/2.0 200 OK\r\n\r\n'],
    ['a two-digit status', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['letters in the status', 'HTTP/1.1 2x0 OK\r\n\r\n'],
    ['no space after the status', 'HTTP/1.1 200OK\r\n\r\n'],
    ['a control character in the reason', 'HTTP/1.1 200 O\x01K\r\n\r\n'],
    ['a bare CR in the reason', 'HTTP/1.1 200 O\rX-A: 1\r\n\r\n'],
    ['a bare LF in the reason', 'HTTP/1.1 200 O\nX-A: 1\r\n\r\n'],
    ['Transfer-Encoding on a 204', 'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['Content-Length: 3 on a 204', 'HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n'],
    ['Content-Length: 3 on a 100', 'HTTP/1.1 100 Continue\r\nContent-Length: 3\r\n\r\n'],
  ])('refuses %s', (_name, wire) => {
    expect(response(wire)).toBeInstanceOf(Http1Error);
  });

  it('reads status, reason and version; a missing reason is empty', () => {
    expect(parsed(response('HTTP/1.0 404 Not Found\r\n\r\n'))).toMatchObject({
      http11: false,
      status: 404,
      reason: 'Not Found',
    });
    expect(parsed(response('HTTP/1.1 200\r\n\r\n'))).toMatchObject({ status: 200, reason: '' });
  });

  it('has no body for HEAD, 1xx, 204 and 304 whatever it says; else chunked, its length, or until close', () => {
    const withLength = parsed(response('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'));
    expect(withLength.bodyLength('GET')).toBe(10);
    expect(withLength.bodyLength('HEAD')).toBe(0);
    expect(parsed(response('HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n')).bodyLength('GET')).toBe(
      0,
    );
    expect(parsed(response('HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n')).bodyLength('GET')).toBe(
      0,
    );
    expect(parsed(response('HTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n')).bodyLength('GET')).toBe(0);
    const chunked = parsed(response('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'));
    expect(chunked.bodyLength('GET')).toBe(chunkedBody);
    expect(parsed(response('HTTP/1.1 200 OK\r\n\r\n')).bodyLength('GET')).toBe(closeDelimitedBody);
  });
});
