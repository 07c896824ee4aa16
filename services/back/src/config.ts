import { parseEnv } from '@music/service-kit';
import { type Static, Type } from 'typebox';

export const ConfigSchema = Type.Object({
  APP_NAME: Type.String({ default: 'back', pattern: '^[a-z0-9-]+$' }),
  APP_VERSION: Type.String({ default: 'v1', pattern: '^v[0-9]+$' }),
  HOST: Type.String({ default: '0.0.0.0' }),
  PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  JWKS_URL: Type.String({ default: 'http://front:8080/.well-known/jwks.json', pattern: '^https?://' }),
  JWT_ISSUER: Type.String({ default: 'music-front' }),
  BODY_LIMIT: Type.Integer({ default: 65_536, minimum: 1024 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

export type Config = Static<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  return parseEnv(ConfigSchema, env);
}
