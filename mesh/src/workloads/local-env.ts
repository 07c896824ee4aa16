import type { LogLevel } from '../log.ts';
import type { Container } from '../manifests/model.ts';

/** What only the running runtime knows, and the replicas need. */
export interface LocalValues {
  /** The ingress, as the replicas reach it (`http://127.0.0.1:<port>`). */
  readonly ingressUrl: string;
  readonly databaseUrl: string;
  /** PKCS#8 PEM, ES256. */
  readonly jwtPrivateKey: string;
  readonly logLevel: LogLevel;
}

/**
 * The local value of each environment variable whose cluster value means nothing on one
 * machine: a Secret, or a URL naming a cluster host. A container gets the ones it declares.
 */
export function localOverrides(values: LocalValues): Readonly<Record<string, string>> {
  return {
    DATABASE_URL: values.databaseUrl,
    JWT_PRIVATE_KEY: values.jwtPrivateKey,
    // Through the ingress, as the browser does: the `/` route reaches front, `/back` reaches back.
    JWKS_URL: `${values.ingressUrl}/.well-known/jwks.json`,
    BACK_URL: values.ingressUrl,
  };
}

/** Variables every local replica gets: development conveniences a cluster never sees. */
export function localAdditions(values: LocalValues): Readonly<Record<string, string>> {
  return {
    MUSIC_DEV_DEFAULTS: 'true',
    LOG_LEVEL: values.logLevel,
  };
}

/** Names `localOverrides` answers, to check the manifests before anything starts. */
export const overriddenNames: ReadonlySet<string> = new Set([
  'DATABASE_URL',
  'JWT_PRIVATE_KEY',
  'JWKS_URL',
  'BACK_URL',
]);

/** A replica's environment: inherited basics, the manifest's env with local overrides, then where to listen. */
export function replicaEnv(
  container: Container,
  values: LocalValues,
  inherited: Readonly<Record<string, string>>,
  port: number,
): Record<string, string> {
  const overrides = localOverrides(values);
  const env: Record<string, string> = { ...inherited };
  for (const variable of container.env) {
    const local = overrides[variable.name];
    if (local !== undefined) env[variable.name] = local;
    else if ('value' in variable) env[variable.name] = variable.value;
  }
  return { ...env, ...localAdditions(values), PORT: String(port), HOST: '127.0.0.1' };
}
