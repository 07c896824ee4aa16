import { parseEnv, serviceEnvProperties } from '@music/service-kit';
import { type Static, Type } from 'typebox';

export const ConfigSchema = Type.Object({
  ...serviceEnvProperties('back'),
  JWKS_URL: Type.String({ default: 'http://front:8080/.well-known/jwks.json', pattern: '^https?://' }),
  JWT_ISSUER: Type.String({ default: 'music-front' }),
});

export type Config = Static<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  return parseEnv(ConfigSchema, env);
}
