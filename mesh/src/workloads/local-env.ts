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
 * With `outboundProxy` (the replica's own outbound listener, see `replicaEnv`), cluster URLs such
 * as `http://back:8080` reach the mesh as written, so only the Secrets are replaced.
 */
export function localOverrides(
  values: LocalValues,
  outboundProxy?: string | undefined,
): Readonly<Record<string, string>> {
  const secrets = { DATABASE_URL: values.databaseUrl, JWT_PRIVATE_KEY: values.jwtPrivateKey };
  if (outboundProxy !== undefined) return secrets;
  return {
    ...secrets,
    // Through the ingress, as the browser does: the `/` route reaches front, `/back` reaches back.
    JWKS_URL: `${values.ingressUrl}/.well-known/jwks.json`,
    BACK_URL: values.ingressUrl,
  };
}

/** How a replica reaches its workload's outbound listener: Node 24 honours these for http and fetch. */
export function outboundProxyEnv(outboundProxy: string): Readonly<Record<string, string>> {
  return {
    HTTP_PROXY: outboundProxy,
    http_proxy: outboundProxy,
    NODE_USE_ENV_PROXY: '1',
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
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

/**
 * A replica's environment: inherited basics, the manifest's env with local overrides, the
 * outbound proxy when its workload has one, then where to listen.
 */
export function replicaEnv(
  container: Container,
  values: LocalValues,
  inherited: Readonly<Record<string, string>>,
  port: number,
  outboundProxy?: string | undefined,
): Record<string, string> {
  const overrides = localOverrides(values, outboundProxy);
  const env: Record<string, string> = { ...inherited };
  for (const variable of container.env) {
    const local = overrides[variable.name];
    if (local !== undefined) env[variable.name] = local;
    else if ('value' in variable) env[variable.name] = variable.value;
  }
  const proxy = outboundProxy === undefined ? {} : outboundProxyEnv(outboundProxy);
  return { ...env, ...localAdditions(values), ...proxy, PORT: String(port), HOST: '127.0.0.1' };
}
