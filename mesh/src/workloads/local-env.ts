import { TopologyError } from '../errors.ts';
import type { LogLevel } from '../log.ts';
import type { ConfigMap, Container, Deployment, EnvFromSource, KeyRef, Secret } from '../manifests/model.ts';
import { expand, references } from './expansion.ts';
import { displayPath, type Profile, type Program, type RuntimeValueName } from './profile.ts';

/** What only the running runtime knows, and the replicas may need. */
export interface RuntimeValues {
  /** The ingress, as the replicas reach it (`http://127.0.0.1:<port>`). */
  readonly ingressUrl: string;
  /** Istio's metrics in Prometheus text, as the runtime serves them (`.../stats/prometheus`). */
  readonly statsUrl: string;
  readonly logLevel: LogLevel;
  /** The profile's generated Secret values, by their file in the data directory. */
  readonly generated: ReadonlyMap<string, string>;
}

/** The pod a replica stands for, as the downward API shows it. */
export interface PodIdentity {
  /** As `mesh get pods` shows it: `<deployment>-<n>`. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Where a replica's ConfigMap and Secret references are read: what is applied when it starts (env
 * is read then, as the kubelet does), and the profile's local values for Secrets not applied.
 */
export interface EnvContext {
  readonly profile: Profile;
  readonly configMaps: readonly ConfigMap[];
  readonly secrets: readonly Secret[];
}

/** Everything a replica's environment is made of, besides its manifest. */
export interface EnvSources extends EnvContext {
  readonly program: Program;
  readonly values: RuntimeValues;
  /** Undefined when no workload needed the database, so none was started. */
  readonly databaseUrl: string | undefined;
  /** Environment every replica inherits (PATH, HOME...). */
  readonly inherited: Readonly<Record<string, string>>;
}

/** The loopback address every replica listens on; `status.podIP` answers it. */
export const podIP = '127.0.0.1';

// Kubernetes' IsEnvVarName (apimachinery validation): envFrom keys that fail it are skipped.
const envVarName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** A profile string with `$(mesh.…)` runtime values and, after them, `env` expanded. */
function expandProfile(
  text: string,
  sources: Pick<EnvSources, 'values' | 'databaseUrl'>,
  env: Readonly<Record<string, string>> = {},
): string {
  return expand(text, (name) =>
    name.startsWith('mesh.') ? runtimeValue(name as RuntimeValueName, sources) : env[name],
  );
}

function runtimeValue(
  name: RuntimeValueName,
  { values, databaseUrl }: Pick<EnvSources, 'values' | 'databaseUrl'>,
): string | undefined {
  switch (name) {
    case 'mesh.ingressUrl':
      return values.ingressUrl;
    case 'mesh.statsUrl':
      return values.statsUrl;
    case 'mesh.databaseUrl':
      return databaseUrl;
    case 'mesh.logLevel':
      return values.logLevel;
  }
}

/**
 * One Secret key as a replica reads it. The Secret applied in the pod's namespace wins, whole, as
 * on a cluster (the kubelet reads `secret.Data[key]`, `kubelet_pods.go` makeEnvironmentVariables);
 * the profile's local value stands in only for a Secret that is not applied (one kept outside the
 * manifests). Undefined leaves the variable unset.
 */
export function secretValue(
  ref: Pick<KeyRef, 'name' | 'key'>,
  namespace: string,
  sources: Pick<EnvSources, 'profile' | 'secrets' | 'values' | 'databaseUrl'>,
): string | undefined {
  const applied = appliedSecret(sources.secrets, ref.name, namespace);
  if (applied) return applied.data.get(ref.key)?.toString('utf8');
  const keys = sources.profile.secrets[ref.name];
  const value = keys && Object.hasOwn(keys, ref.key) ? keys[ref.key] : undefined;
  if (!value || value.kind === 'unset') return undefined;
  if (value.kind === 'generated') return sources.values.generated.get(value.file);
  return expandProfile(value.text, sources);
}

function configMap(configMaps: readonly ConfigMap[], name: string, namespace: string): ConfigMap | undefined {
  return configMaps.find((map) => map.name === name && map.namespace === namespace);
}

function appliedSecret(secrets: readonly Secret[], name: string, namespace: string): Secret | undefined {
  return secrets.find((secret) => secret.name === name && secret.namespace === namespace);
}

/** A Secret's keys as a replica sees them: the applied Secret's, else the profile's. */
function secretKeys(name: string, namespace: string, context: EnvContext): readonly string[] | undefined {
  const applied = appliedSecret(context.secrets, name, namespace);
  if (applied) return applied.data.keys();
  const local = context.profile.secrets[name];
  return local && Object.keys(local);
}

function fieldValue(fieldPath: string, pod: PodIdentity): string {
  if (fieldPath === 'metadata.name') return pod.name;
  if (fieldPath === 'metadata.namespace') return pod.namespace;
  if (fieldPath === 'status.podIP') return podIP;
  // metadata.labels['<key>'], the only other path the parser lets through; a missing label is empty.
  const key = fieldPath.slice("metadata.labels['".length, -"']".length);
  return pod.labels[key] ?? '';
}

function envFromEntries(source: EnvFromSource, namespace: string, sources: EnvSources): [string, string][] {
  if (source.kind === 'ConfigMap') {
    return Object.entries(configMap(sources.configMaps, source.name, namespace)?.data ?? {});
  }
  return (secretKeys(source.name, namespace, sources) ?? []).flatMap((key): [string, string][] => {
    const value = secretValue({ name: source.name, key }, namespace, sources);
    return value === undefined ? [] : [[key, value]];
  });
}

/**
 * A replica's environment, in the kubelet's order (`kubelet_pods.go` makeEnvironmentVariables):
 * `envFrom` sources in order, then `env` entries over them, each literal expanded against the
 * variables before it. Secret keys come from the applied Secret, else the profile's local value
 * (`secretValue`); variables the profile replaces take its value. Then, on top: the profile's `env`, the program's `env`, the outbound
 * proxy when the workload has one, and where to listen (PORT, HOST).
 */
export function replicaEnv(
  container: Container,
  pod: PodIdentity,
  sources: EnvSources,
  port: number,
  outboundProxy?: string | undefined,
): Record<string, string> {
  const { profile } = sources;
  const replace: Record<string, string> = {
    ...profile.replace,
    ...(outboundProxy === undefined ? profile.replaceWithoutOutbound : {}),
  };
  const declared: Record<string, string> = {};
  const set = (name: string, value: string) => {
    declared[name] = Object.hasOwn(replace, name) ? expandProfile(replace[name] as string, sources) : value;
  };
  for (const source of container.envFrom) {
    for (const [key, value] of envFromEntries(source, pod.namespace, sources)) {
      const name = source.prefix + key;
      if (envVarName.test(name)) set(name, value);
    }
  }
  for (const variable of container.env) {
    if ('value' in variable)
      set(
        variable.name,
        expand(variable.value, (name) => declared[name]),
      );
    else if ('fieldRef' in variable) declared[variable.name] = fieldValue(variable.fieldRef.fieldPath, pod);
    else if ('configMapKeyRef' in variable) {
      const { name, key } = variable.configMapKeyRef;
      const data = configMap(sources.configMaps, name, pod.namespace)?.data;
      if (data && Object.hasOwn(data, key)) set(variable.name, data[key] as string);
    } else {
      const value = secretValue(variable.secretKeyRef, pod.namespace, sources);
      if (value !== undefined) declared[variable.name] = value;
    }
  }
  const env: Record<string, string> = { ...sources.inherited, ...declared };
  for (const [name, text] of Object.entries(profile.env)) env[name] = expandProfile(text, sources, env);
  for (const [name, text] of Object.entries(sources.program.env)) {
    env[name] = expandProfile(text, sources, env);
  }
  const proxy = outboundProxy === undefined ? {} : outboundProxyEnv(outboundProxy);
  return { ...env, ...proxy, PORT: String(port), HOST: podIP };
}

/**
 * What the replica runs, as Kubernetes combines an image with a container (`command` replaces the
 * image's entry point and its arguments, `args` only the arguments), with `$(VAR)` expanded
 * against the replica's environment; the program's own strings may also name `$(mesh.…)`.
 */
export function commandLine(
  container: Container,
  sources: Pick<EnvSources, 'program' | 'values' | 'databaseUrl'>,
  env: Readonly<Record<string, string>>,
): string[] {
  const { program } = sources;
  const fromManifest = (text: string) => expand(text, (name) => env[name]);
  const fromProfile = (text: string) => expandProfile(text, sources, env);
  if (container.command) {
    return [...container.command.map(fromManifest), ...(container.args ?? []).map(fromManifest)];
  }
  const args = container.args ? container.args.map(fromManifest) : program.args.map(fromProfile);
  return [...program.command.map(fromProfile), ...args];
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

/**
 * Refuses a container whose environment cannot be made here: a Secret (or key) neither applied
 * nor given a local value, a ConfigMap (or key) not applied, unless the reference is optional.
 * Run at apply, and again as each replica starts, where the kubelet would fail the container with
 * CreateContainerConfigError. The messages name Secrets and keys, never a value.
 */
export function checkEnv(deployment: Deployment, container: Container, context: EnvContext): void {
  const { namespace } = deployment;
  const where = `Deployment ${deployment.name}`;
  const missingSecret = (name: string) => {
    const elsewhere = context.secrets.find((secret) => secret.name === name);
    const only = elsewhere
      ? ` (only in ${elsewhere.namespace}: a pod reads its own namespace's Secrets)`
      : '';
    return `is not applied in namespace ${namespace}${only} and has no local value (apply it, or add it to secrets in ${displayPath(context.profile.file)})`;
  };
  for (const source of container.envFrom) {
    if (source.optional) continue;
    if (source.kind === 'Secret' && !secretKeys(source.name, namespace, context)) {
      throw new TopologyError(`${where}: envFrom Secret ${source.name} ${missingSecret(source.name)}`);
    }
    if (source.kind === 'ConfigMap' && !configMap(context.configMaps, source.name, namespace)) {
      throw new TopologyError(`${where}: envFrom ConfigMap ${source.name} is not applied`);
    }
  }
  for (const variable of container.env) {
    if ('secretKeyRef' in variable && !variable.secretKeyRef.optional) {
      const { name, key } = variable.secretKeyRef;
      const from = `${where}: env ${variable.name} comes from Secret ${name} (key ${key})`;
      const keys = secretKeys(name, namespace, context);
      if (!keys) throw new TopologyError(`${from}, which ${missingSecret(name)}`);
      if (!keys.includes(key)) {
        const applied = appliedSecret(context.secrets, name, namespace);
        throw new TopologyError(
          applied
            ? `${from}: the Secret applied in namespace ${namespace} has no key ${key} (secrets in ${displayPath(context.profile.file)} stand in only for a Secret that is not applied)`
            : `${from}, which is not applied in namespace ${namespace}, and secrets.${name} in ${displayPath(context.profile.file)} has no key ${key}`,
        );
      }
    }
    if ('configMapKeyRef' in variable && !variable.configMapKeyRef.optional) {
      const { name, key } = variable.configMapKeyRef;
      const data = configMap(context.configMaps, name, namespace)?.data;
      if (!data)
        throw new TopologyError(
          `${where}: env ${variable.name} comes from ConfigMap ${name}, which is not applied`,
        );
      if (!Object.hasOwn(data, key)) {
        throw new TopologyError(
          `${where}: env ${variable.name} comes from ConfigMap ${name}, which has no key ${key}`,
        );
      }
    }
  }
}

/**
 * Whether a replica's environment or command would carry `$(mesh.databaseUrl)`: only then does
 * the runtime start its PostgreSQL. An applied Secret's values are taken as written.
 */
export function needsDatabase(
  deployment: Deployment,
  container: Container,
  program: Program,
  context: Pick<EnvContext, 'profile' | 'secrets'>,
): boolean {
  const { profile } = context;
  const texts: string[] = [...Object.values(profile.env), ...Object.values(program.env)];
  texts.push(...program.command, ...program.args);
  const names = new Set(container.env.map((variable) => variable.name));
  for (const [name, text] of Object.entries({ ...profile.replace, ...profile.replaceWithoutOutbound })) {
    if (names.has(name) || container.envFrom.length > 0) texts.push(text);
  }
  const local = (name: string) => !appliedSecret(context.secrets, name, deployment.namespace);
  const localKeys = [
    ...container.env.flatMap((variable) => ('secretKeyRef' in variable ? [variable.secretKeyRef] : [])),
    ...container.envFrom
      .filter((source) => source.kind === 'Secret')
      .flatMap((source) =>
        Object.keys(profile.secrets[source.name] ?? {}).map((key) => ({ name: source.name, key })),
      ),
  ].filter(({ name }) => local(name));
  for (const { name, key } of localKeys) {
    const value = profile.secrets[name]?.[key];
    if (value?.kind === 'text') texts.push(value.text);
  }
  return texts.some((text) => references(text).includes('mesh.databaseUrl'));
}
