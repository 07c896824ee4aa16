import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repo } from './render.ts';

export interface SkaffoldArtifact {
  image: string;
  context?: string;
  docker?: { dockerfile?: string };
}

export interface SkaffoldRender {
  kustomize?: { paths?: string[] };
  hooks?: { before?: { host?: { command?: string[] } }[] };
}

export interface SkaffoldProfile {
  name: string;
  manifests?: SkaffoldRender;
}

export interface SkaffoldConfig {
  apiVersion: string;
  kind: string;
  build?: { artifacts?: SkaffoldArtifact[] };
  manifests?: SkaffoldRender;
  profiles?: SkaffoldProfile[];
}

export async function readSkaffold(): Promise<SkaffoldConfig> {
  return parse(await readFile(join(repo, 'skaffold.yaml'), 'utf8')) as SkaffoldConfig;
}

/** The profiles the tutorial's rollout replays, in order. */
export const rolloutProfiles = ['v1', 'v2', 'v3-mirror', 'v3', 'promote'] as const;

/** Each profile's kustomize paths, and the default (no -p) as `(default)`. */
export function kustomizePaths(config: SkaffoldConfig): { profile: string; paths: string[] }[] {
  return [
    { profile: '(default)', paths: config.manifests?.kustomize?.paths ?? [] },
    ...(config.profiles ?? []).map((profile) => ({
      profile: profile.name,
      paths: profile.manifests?.kustomize?.paths ?? [],
    })),
  ];
}

/**
 * The keys skaffold/v4beta14 allows where skaffold.yaml uses them (from the schema,
 * docs-v2/content/en/schemas/v4beta14.json: SkaffoldConfig, BuildConfig, Artifact,
 * DockerArtifact, RenderConfig, Kustomize, RenderHooks, RenderHookItem, HostHook, DeployConfig,
 * Profile). Skaffold refuses a config with any other.
 */
const allowed: Record<string, readonly string[]> = {
  '': [
    'apiVersion',
    'kind',
    'metadata',
    'requires',
    'build',
    'test',
    'manifests',
    'deploy',
    'portForward',
    'resourceSelector',
    'verify',
    'customActions',
    'profiles',
  ],
  metadata: ['name', 'labels', 'annotations'],
  build: [
    'artifacts',
    'insecureRegistries',
    'tagPolicy',
    'platforms',
    'local',
    'googleCloudBuild',
    'cluster',
  ],
  'build.local': ['push', 'tryImportMissing', 'useDockerCLI', 'useBuildkit', 'concurrency'],
  'build.artifacts[]': [
    'image',
    'context',
    'sync',
    'requires',
    'hooks',
    'platforms',
    'runtimeType',
    'docker',
  ],
  'build.artifacts[].docker': [
    'dockerfile',
    'target',
    'buildArgs',
    'network',
    'addHost',
    'cacheFrom',
    'cliFlags',
    'pullParent',
    'noCache',
    'cacheTo',
    'squash',
    'secrets',
    'ssh',
  ],
  manifests: [
    'rawYaml',
    'remoteManifests',
    'kustomize',
    'helm',
    'kpt',
    'hooks',
    'transform',
    'validate',
    'output',
  ],
  'manifests.kustomize': ['paths', 'buildArgs'],
  'manifests.hooks': ['before', 'after'],
  'manifests.hooks.before[]': ['host'],
  'manifests.hooks.before[].host': ['command', 'os', 'dir'],
  deploy: [
    'docker',
    'helm',
    'kpt',
    'kubectl',
    'cloudrun',
    'statusCheck',
    'statusCheckDeadlineSeconds',
    'tolerateFailuresUntilDeadline',
    'kubeContext',
    'logs',
    'transformableAllowList',
  ],
  'profiles[]': [
    'name',
    'activation',
    'requiresAllActivations',
    'patches',
    'build',
    'test',
    'manifests',
    'deploy',
    'portForward',
    'resourceSelector',
    'verify',
    'customActions',
  ],
};

/** Keys of skaffold.yaml the schema does not have, as paths (`profiles[1].manifest`). */
export function unknownSkaffoldKeys(config: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, schemaPath: string, path: string) => {
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, `${schemaPath}[]`, `${path}[${index}]`);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const keys = allowed[schemaPath];
    if (!keys) return;
    for (const [key, item] of Object.entries(value)) {
      const itemPath = path ? `${path}.${key}` : key;
      if (!keys.includes(key)) found.push(itemPath);
      // A profile's sections have the top level's shape.
      const next = schemaPath === 'profiles[]' ? key : schemaPath ? `${schemaPath}.${key}` : key;
      walk(item, next, itemPath);
    }
  };
  walk(config, '', '');
  return found;
}
