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
  /** back v3: the `client` service (Spotify), reached through the mesh; plain HTTP, mTLS is the mesh's job. */
  CLIENT_URL: Type.String({ default: 'http://client:8080', pattern: '^http://[^?#]+[^/]$' }),
  /** Deadline for one call to `client`, answer included. */
  CLIENT_TIMEOUT_MS: Type.Integer({ default: 5_000, minimum: 1, maximum: 60_000 }),
  /** What the Spotify list shows while the search box is empty: every year, most popular first. */
  SPOTIFY_DEFAULT_QUERY: Type.String({ default: 'year:1900-2099', minLength: 1, maxLength: 250 }),
  /**
   * The outbound proxy for calls to `client` (the local mesh runtime sets it to the replica's
   * sidecar listener; on a cluster iptables does that job and it is unset). Hosts in NO_PROXY,
   * comma-separated, are called directly.
   */
  HTTP_PROXY: Type.Optional(Type.String()),
  NO_PROXY: Type.Optional(Type.String()),
});

export type Config = Static<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  return parseEnv(ConfigSchema, env);
}
