import type { FastifyServerOptions } from 'fastify';

/**
 * Pino options for the client. Credentials never reach a log line by construction (they live in
 * the token provider only); the redaction list is the net under that for anything that would
 * carry them by name: request headers, and the secret's variable should a config object be logged.
 */
export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'SPOTIFY_CLIENT_SECRET',
        '*.SPOTIFY_CLIENT_SECRET',
        'clientSecret',
        '*.clientSecret',
      ],
      censor: '[redacted]',
    },
    ...(stream ? { stream } : {}),
  };
}
