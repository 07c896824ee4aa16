import { fileURLToPath } from 'node:url';
import { ConfigError, parseEnv, serviceEnvProperties } from '@music/service-kit';
import { type Static, Type } from 'typebox';
import { parsePrivateKey } from './auth/keys.ts';

export const ConfigSchema = Type.Object({
  ...serviceEnvProperties('front'),
  /** Local development only: seeds admin/admin and user/user and allows a generated signing key. */
  MUSIC_DEV_DEFAULTS: Type.Boolean({ default: false }),
  JWT_PRIVATE_KEY: Type.Optional(Type.String({ minLength: 1 })),
  JWT_ISSUER: Type.String({ default: 'music-front', minLength: 1 }),
  JWT_TTL_SECONDS: Type.Integer({ default: 86_400, minimum: 60, maximum: 2_592_000 }),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 100 })),
  BACK_URL: Type.String({ default: 'http://back:8080', pattern: '^https?://[^/]+$' }),
  /** Istio's metrics in Prometheus text: the local runtime's /stats/prometheus, or Prometheus' /federate. */
  MESH_METRICS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  MESH_NAMESPACE: Type.String({ default: 'music', pattern: '^[a-z0-9-]+$' }),
  /** The metrics page's rates are over this many seconds of readings. */
  METRICS_WINDOW_SECONDS: Type.Integer({ default: 60, minimum: 10, maximum: 3_600 }),
  /** Where the metrics page links for the service graph: the mesh console (Kiali on a cluster). */
  MESH_CONSOLE_URL: Type.String({ default: 'http://localhost:20001/console/', pattern: '^https?://' }),
  WEB_ROOT: Type.String({
    default: fileURLToPath(new URL('../dist/web/browser', import.meta.url)),
    minLength: 1,
  }),
  LOGIN_MAX_FAILURES: Type.Integer({ default: 5, minimum: 1, maximum: 1000 }),
  LOGIN_LOCK_SECONDS: Type.Integer({ default: 60, minimum: 1, maximum: 86_400 }),
  /** Password hashes at once (each holds a libuv thread), and sign-ins that may wait for one. */
  PASSWORD_HASH_CONCURRENCY: Type.Integer({ default: 2, minimum: 1, maximum: 64 }),
  PASSWORD_HASH_QUEUE: Type.Integer({ default: 16, minimum: 0, maximum: 10_000 }),
  /** Proxies in front of front that append to X-Forwarded-For: the mesh's ingress or sidecar. */
  TRUSTED_PROXY_HOPS: Type.Integer({ default: 1, minimum: 0, maximum: 10 }),
});

export type Config = Static<typeof ConfigSchema>;

/** Parses front's environment; the signing key and admin password may only be left out in local development. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const config = parseEnv(ConfigSchema, env);
  if (!config.MUSIC_DEV_DEFAULTS) {
    for (const name of ['JWT_PRIVATE_KEY', 'ADMIN_PASSWORD'] as const) {
      if (config[name] === undefined)
        throw new ConfigError(name, 'is required unless MUSIC_DEV_DEFAULTS=true');
    }
  }
  if (config.JWT_PRIVATE_KEY !== undefined) parsePrivateKey(config.JWT_PRIVATE_KEY);
  return config;
}
