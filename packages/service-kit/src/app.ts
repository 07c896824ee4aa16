import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { clientErrorHandler, frameworkErrors, registerProblemHandler } from './problem.ts';
import { ServiceLogController } from './request-log.ts';
import { validatorCompiler } from './validation.ts';

export interface ServiceAppOptions {
  bodyLimit: number;
  logger?: FastifyServerOptions['logger'];
}

/**
 * The Fastify instance every service starts from: TypeBox validation, JSON bodies only (a text body
 * would otherwise reach validation as a string and read as a 400, not a 415), the mesh's
 * `x-request-id` as request id, probes and scrapes logged at debug, and problem+json for every error, the framework's and Node's parser's
 * included.
 */
export function createServiceApp(options: ServiceAppOptions): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    logController: new ServiceLogController(),
    bodyLimit: options.bodyLimit,
    requestIdHeader: 'x-request-id',
    frameworkErrors,
    clientErrorHandler,
  }).setValidatorCompiler(validatorCompiler);
  app.removeContentTypeParser('text/plain');
  registerProblemHandler(app);
  return app;
}
