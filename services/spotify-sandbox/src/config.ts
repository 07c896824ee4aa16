import { parseEnv, serviceEnvProperties } from '@music/service-kit';
import { type Static, Type } from 'typebox';

const common = serviceEnvProperties('spotify-sandbox');

export const ConfigSchema = Type.Object({
  APP_NAME: common.APP_NAME,
  APP_VERSION: common.APP_VERSION,
  HOST: common.HOST,
  PORT: common.PORT,
  BODY_LIMIT: common.BODY_LIMIT,
  LOG_LEVEL: common.LOG_LEVEL,
  /** Where browsers reach the sandbox (album art links); by default the origin each request named. */
  SANDBOX_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^/]+$' })),
  /** Local-only credentials: the sandbox guards nothing of value. */
  SANDBOX_CLIENT_ID: Type.String({ default: 'music-sandbox', minLength: 1 }),
  SANDBOX_CLIENT_SECRET: Type.String({ default: 'music-sandbox-secret', minLength: 1 }),
  SANDBOX_TOKEN_TTL_SECONDS: Type.Integer({ default: 3600, minimum: 1, maximum: 86_400 }),
  /** Web API calls allowed per client and window; 0 turns rate limiting off. */
  SANDBOX_RATE_LIMIT: Type.Integer({ default: 0, minimum: 0 }),
  SANDBOX_RATE_WINDOW_SECONDS: Type.Integer({ default: 30, minimum: 1, maximum: 3600 }),
  SANDBOX_FAILURE_RATE: Type.Number({ default: 0, minimum: 0, maximum: 1 }),
  SANDBOX_EXTRA_LATENCY_MS: Type.Integer({ default: 0, minimum: 0, maximum: 60_000 }),
});

export type Config = Static<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  return parseEnv(ConfigSchema, env);
}
