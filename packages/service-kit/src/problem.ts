import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from './database.ts';
import { type FieldError, HttpError } from './errors.ts';

const PROBLEM = 'application/problem+json';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  errors?: readonly FieldError[];
}

/**
 * The one place where errors become RFC 9457 problem documents. Known errors keep their status and
 * message; Fastify's own 4xx (bad JSON, wrong content type, body too large, schema validation) are
 * translated with the offending field named; anything else is a 500 whose details stay in the log.
 */
export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error, request);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    if (error instanceof HttpError) reply.headers(error.headers);
    if (problem.code === 'DATABASE_UNAVAILABLE') reply.header('retry-after', '1');
    void sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) => {
    void sendProblem(reply, {
      type: 'about:blank',
      title: 'Not found',
      status: 404,
      detail: `No route for ${request.method} ${request.url.split('?')[0]}.`,
      instance: request.url,
      code: 'NOT_FOUND',
    });
  });
}

/**
 * Fastify's errors raised before routing (`FST_ERR_BAD_URL` for a malformed percent-encoding, an
 * async constraint failing) bypass the error handler; this option hands them back to it.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendProblem(reply, {
    type: typeOf('BAD_REQUEST'),
    title: 'Bad request',
    status: 400,
    detail: error.message,
    instance: request.url,
    code: 'BAD_REQUEST',
  });
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request header fields too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request timeout'],
};

/**
 * A request Node's parser refused (an unknown method, a malformed head) never reaches Fastify; Node
 * would answer a bare 400 with no body. This answers the same status as a problem document, then
 * closes, as the connection's framing can no longer be trusted.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, title] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'Bad request'];
  const code = status === 400 ? 'BAD_REQUEST' : title.toUpperCase().replaceAll(' ', '_');
  const body = JSON.stringify({
    type: typeOf(code),
    title,
    status,
    detail: 'The request could not be parsed as HTTP/1.1.',
    code,
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\ncontent-type: ${PROBLEM}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type(PROBLEM).send(problem);
}

function toProblem(error: FastifyError, request: FastifyRequest): Problem {
  const instance = request.url;
  if (error instanceof HttpError) {
    return {
      type: typeOf(error.code),
      title: error.title,
      status: error.statusCode,
      detail: error.message,
      instance,
      code: error.code,
      ...(error.errors.length > 0 ? { errors: error.errors } : {}),
    };
  }
  if (error.validation) {
    const errors = fieldErrors(error.validation, error.validationContext);
    return {
      type: typeOf('VALIDATION_FAILED'),
      title: 'Invalid request',
      status: 400,
      detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      instance,
      code: 'VALIDATION_FAILED',
      errors,
    };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = FASTIFY_CODES[error.code] ?? 'BAD_REQUEST';
    return {
      type: typeOf(code),
      title: TITLES[code] ?? 'Bad request',
      status,
      detail: error.message,
      instance,
      code,
    };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      type: typeOf('DATABASE_UNAVAILABLE'),
      title: 'Service unavailable',
      status: 503,
      detail: 'The database is not reachable at the moment; try again shortly.',
      instance,
      code: 'DATABASE_UNAVAILABLE',
    };
  }
  return {
    type: typeOf('INTERNAL'),
    title: 'Internal error',
    status: status >= 500 && status < 600 ? status : 500,
    detail: 'The server could not complete the request. It has been logged.',
    instance,
    code: 'INTERNAL',
  };
}

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
};

const TITLES: Record<string, string> = {
  MALFORMED_JSON: 'Malformed JSON',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
};

function typeOf(code: string): string {
  return `urn:music:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

interface SchemaError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Names the field each schema error is about: `durationMs`, `page`, `title`... */
export function fieldErrors(validation: readonly SchemaError[], part = 'body'): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const error of validation) {
    for (const field of fieldsOf(error, part)) {
      if (seen.has(field)) continue;
      seen.add(field);
      errors.push({ field, message: messageOf(error) });
    }
  }
  return errors;
}

function fieldsOf(error: SchemaError, part: string): string[] {
  const path = (error.instancePath ?? '').split('/').filter(Boolean).join('.');
  const params = error.params ?? {};
  const join = (name: string) => (path ? `${path}.${name}` : name);
  if (error.keyword === 'required') {
    const names = (params.requiredProperties ?? [params.missingProperty]) as string[];
    return names.filter(Boolean).map(join);
  }
  if (error.keyword === 'additionalProperties') {
    const names = (params.additionalProperties ?? [params.additionalProperty]) as string[];
    return names.filter(Boolean).map(join);
  }
  return [path || part];
}

function messageOf(error: SchemaError): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not allowed';
    default:
      return error.message ?? 'is invalid';
  }
}
