import { parseEnv, serviceEnvProperties } from '@music/service-kit';
import { type Static, Type } from 'typebox';

export const ConfigSchema = Type.Object({
  ...serviceEnvProperties('back'),
  JWKS_URL: Type.String({ default: 'http://front:8080/.well-known/jwks.json', pattern: '^https?://' }),
  JWT_ISSUER: Type.String({ default: 'music-front' }),
  /** Share of `/back/api` requests answered 500 INJECTED_FAILURE, set per Deployment (faults.ts). */
  FAILURE_RATE: Type.Number({ default: 0, minimum: 0, maximum: 1 }),
  /** Milliseconds added before every `/back/api` request is handled. */
  EXTRA_LATENCY_MS: Type.Integer({ default: 0, minimum: 0, maximum: 60_000 }),
});

export type Config = Static<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  return parseEnv(ConfigSchema, env);
}
