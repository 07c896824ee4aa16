export { createServiceApp, type ServiceAppOptions } from './app.ts';
export { parseEnv, serviceEnvProperties } from './config.ts';
export {
  createPool,
  isDatabaseUnavailable,
  isUniqueViolation,
  type Migration,
  migrate,
  ping,
} from './database.ts';
export {
  ConfigError,
  ConflictError,
  type FieldError,
  ForbiddenError,
  HttpError,
  NotFoundError,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthorizedError,
  ValidationError,
} from './errors.ts';
export { registerHealth } from './health.ts';
export { registerMetrics } from './metrics.ts';
export { linkHeader, type PageQuery, pageQuery, parseSort, type Sort } from './paging.ts';
export { type Principal, requireAuthority, requirePrincipal, verifyBearer } from './principal.ts';
export { fieldErrors, registerProblemHandler } from './problem.ts';
export { redactUrl, serviceLoggerOptions } from './request-log.ts';
export { exitOnStartupError, listenUntilSignal } from './server.ts';
export { traceHeaderNames, traceHeaders } from './trace-context.ts';
export { validatorCompiler } from './validation.ts';
