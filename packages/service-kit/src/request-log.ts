import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';

// A query parameter whose name looks like a credential (`token`, `access_token`, `code`, `sig`…),
// the same rule as the mesh's access log.
const credentialParam =
  /([?&;])((?:[^=&;#]*(?:token|secret|passw|auth|signature|apikey|api_key|api-key|credential|session|jwt)[^=&;#]*|code|key|sig|pwd)=)[^&;#]*/gi;

/** The URL with the values of credential-like query parameters replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  if (url.indexOf('?') === -1) return url;
  return url.replace(credentialParam, '$1$2[redacted]');
}

/**
 * Pino options for a service. Bodies are never logged (they carry passwords); headers are logged
 * with credentials removed, and the URL with credential-like query values removed, so a token
 * passed in a query string never reaches a log line.
 */
export function serviceLoggerOptions(
  level: string,
  stream?: NodeJS.WritableStream,
): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort ?? 0,
      }),
    },
    ...(stream ? { stream } : {}),
  };
}

/** The routes probes and scrapers call every few seconds (registerHealth, registerMetrics). */
const managementRoute = /\/management\/(?:health(?:\/(?:liveness|readiness))?|prometheus)$/;

function isManagement(request: FastifyRequest): boolean {
  return managementRoute.test(request.routeOptions.url ?? '');
}

/**
 * Fastify's request lines, with those of health probes and metrics scrapes at debug instead of info:
 * an idle stack would otherwise log a line pair per probe and scrape, every few seconds, forever.
 * A failed one still logs at error.
 */
export class ServiceLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    if (isManagement(request)) request.log.debug({ req: request }, 'incoming request');
    else super.incomingRequest(request, reply);
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (!error && isManagement(request)) {
      reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
    } else {
      super.requestCompleted(error, request, reply);
    }
  }
}
