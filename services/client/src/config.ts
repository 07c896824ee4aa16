import { parseEnv, serviceEnvProperties } from '@music/service-kit';
import { type Static, Type } from 'typebox';

const common = serviceEnvProperties('client');
const millis = (fallback: number, maximum = 60_000) =>
  Type.Integer({ default: fallback, minimum: 0, maximum });

export const ConfigSchema = Type.Object({
  APP_NAME: common.APP_NAME,
  APP_VERSION: common.APP_VERSION,
  HOST: common.HOST,
  PORT: common.PORT,
  BODY_LIMIT: common.BODY_LIMIT,
  LOG_LEVEL: common.LOG_LEVEL,
  /** The Web API base, version included; the real one is https://api.spotify.com/v1. */
  SPOTIFY_API_URL: Type.String({
    default: 'http://spotify-sandbox:8080/v1',
    pattern: '^https?://[^?#]+[^/]$',
  }),
  /** The token endpoint; the real one is https://accounts.spotify.com/api/token. */
  SPOTIFY_ACCOUNTS_URL: Type.String({
    default: 'http://spotify-sandbox:8080/api/token',
    pattern: '^https?://[^?#]+$',
  }),
  SPOTIFY_CLIENT_ID: Type.String({ minLength: 1 }),
  SPOTIFY_CLIENT_SECRET: Type.String({ minLength: 1 }),
  SPOTIFY_CONNECT_TIMEOUT_MS: millis(1_000),
  /** The sidecar (or corporate) proxy for outgoing calls; the local mesh runtime sets it per workload. */
  HTTP_PROXY: Type.Optional(Type.String({ pattern: '^https?://' })),
  NO_PROXY: Type.Optional(Type.String()),
  /** Per attempt, for the whole answer: headers and body. */
  SPOTIFY_TIMEOUT_MS: Type.Integer({ default: 2_500, minimum: 1, maximum: 60_000 }),
  SPOTIFY_RETRIES: Type.Integer({ default: 2, minimum: 0, maximum: 5 }),
  SPOTIFY_RETRY_BASE_MS: millis(100),
  SPOTIFY_RETRY_MAX_MS: millis(2_000),
  /** A 429 asking to wait longer than this is not waited out: the caller gets 503 and Retry-After. */
  SPOTIFY_MAX_RETRY_AFTER_SECONDS: Type.Integer({ default: 5, minimum: 0, maximum: 300 }),
  SPOTIFY_BREAKER_THRESHOLD: Type.Integer({ default: 5, minimum: 1, maximum: 1000 }),
  SPOTIFY_BREAKER_COOLDOWN_MS: millis(10_000, 600_000),
  CLIENT_CACHE_TTL_SECONDS: Type.Number({ default: 300, minimum: 0, maximum: 86_400 }),
  /** How long past its TTL an answer may still be served while Spotify fails. */
  CLIENT_CACHE_STALE_SECONDS: Type.Number({ default: 3_600, minimum: 0, maximum: 604_800 }),
  CLIENT_CACHE_MAX_ENTRIES: Type.Integer({ default: 1_000, minimum: 1, maximum: 1_000_000 }),
  /** Canary demos: a share of /client/api requests answered 500, and latency added to each. */
  FAILURE_RATE: Type.Number({ default: 0, minimum: 0, maximum: 1 }),
  EXTRA_LATENCY_MS: millis(0),
});

export type Config = Static<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  return parseEnv(ConfigSchema, env);
}
