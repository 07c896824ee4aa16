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
  /** Istio's metrics in Prometheus text, as the runtime serves them (`.../stats/prometheus`). */
  readonly statsUrl: string;
}

type SecretRef = { readonly name: string; readonly key: string };

/**
 * The local value of each Secret key the manifests in deploy/ read, as `<secret>/<key>`: the one
 * table to edit when a Deployment reads a new Secret (a cluster gets them from `kubectl create
 * secret`, see the comments in deploy/). A Secret-backed variable without an entry here stops
 * the runtime before anything starts; an entry answering undefined leaves the variable unset.
 */
export const localSecrets: Readonly<Record<string, (values: LocalValues) => string | undefined>> =
  Object.freeze({
    'music-db/url': (values) => values.databaseUrl,
    'music-jwt/private-key.pem': (values) => values.jwtPrivateKey,
    // Left unset: under MUSIC_DEV_DEFAULTS front seeds the local admin/admin account itself.
    'music-admin/password': () => undefined,
    // spotify-sandbox's local-only defaults; client and the sandbox read the same keys, so they agree.
    'spotify-credentials/client-id': () => 'music-sandbox',
    'spotify-credentials/client-secret': () => 'music-sandbox-secret',
  });

/** Whether `localSecrets` answers this Secret key. */
export function hasLocalSecret(ref: SecretRef): boolean {
  return Object.hasOwn(localSecrets, `${ref.name}/${ref.key}`);
}

/** The local value of one Secret key, or undefined when `localSecrets` has none. */
export function localSecret(ref: SecretRef, values: LocalValues): string | undefined {
  const key = `${ref.name}/${ref.key}`;
  return Object.hasOwn(localSecrets, key) ? localSecrets[key]?.(values) : undefined;
}

/**
 * The local value of each literal variable naming a cluster host that the replicas cannot reach
 * without their outbound listener: with `outboundProxy` (see `replicaEnv`), cluster URLs such as
 * `http://back:8080` reach the mesh as written, so nothing is replaced.
 */
export function localOverrides(
  values: LocalValues,
  outboundProxy?: string | undefined,
): Readonly<Record<string, string>> {
  const played = runtimeAddresses(values);
  if (outboundProxy !== undefined) return played;
  return {
    ...played,
    // Through the ingress, as the browser does: the `/` route reaches front, `/back` reaches back.
    JWKS_URL: `${values.ingressUrl}/.well-known/jwks.json`,
    BACK_URL: values.ingressUrl,
  };
}

/**
 * Variables naming a part of a cluster that the runtime itself plays, whatever the outbound mode:
 * Prometheus (front's per-workload metrics read the runtime's /stats/prometheus instead) and the
 * gateway's public address (the sandbox's album-art links, which a browser follows).
 */
function runtimeAddresses(values: LocalValues): Record<string, string> {
  return {
    MESH_METRICS_URL: values.statsUrl,
    SANDBOX_PUBLIC_URL: values.ingressUrl,
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

/**
 * A replica's environment: inherited basics, the manifest's env with local Secrets and overrides, the
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
    const local =
      'secretKeyRef' in variable ? localSecret(variable.secretKeyRef, values) : overrides[variable.name];
    if (local !== undefined) env[variable.name] = local;
    else if ('value' in variable) env[variable.name] = variable.value;
  }
  const proxy = outboundProxy === undefined ? {} : outboundProxyEnv(outboundProxy);
  return { ...env, ...localAdditions(values), ...proxy, PORT: String(port), HOST: '127.0.0.1' };
}
