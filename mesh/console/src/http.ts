import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConsoleError, ConsoleRequestError } from './errors.ts';

export const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function badParameter(name: string, message: string): ConsoleRequestError {
  return new ConsoleRequestError('BAD_PARAMETER', 400, `${name}: ${message}`);
}

/** `namespaces=music,other`: required, each a namespace name. */
export function namespacesOf(params: URLSearchParams): string[] {
  const namespaces = (params.get('namespaces') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (namespaces.length === 0)
    throw badParameter('namespaces', 'is required (comma-separated names, e.g. music)');
  for (const name of namespaces)
    if (!dnsLabel.test(name)) throw badParameter('namespaces', `"${name}" is not a namespace name`);
  return namespaces;
}

const maxBodyBytes = 256 * 1024;

/** A JSON object body (`application/json`, at most 256 KiB); anything else is refused by status. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new ConsoleRequestError('UNSUPPORTED_MEDIA_TYPE', 415, 'the body must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new ConsoleRequestError('BODY_TOO_LARGE', 413, 'the body is over 256 KiB');
    chunks.push(chunk);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Answered below.
  }
  throw new ConsoleRequestError('BAD_BODY', 400, 'the body must be a JSON object');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** Every error of a request, in one place: a ConsoleError as its problem+json, anything else a bare 500. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof ConsoleError) sendProblem(res, error.httpStatus, error.code, error.message);
  else sendProblem(res, 500, 'INTERNAL', 'internal error');
}

function sendProblem(res: ServerResponse, status: number, code: string, detail: string): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify({ type: 'about:blank', title: code, status, code, detail });
  res.writeHead(status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
