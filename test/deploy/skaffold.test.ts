import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo } from './support/render.ts';
import { kustomizePaths, readSkaffold, rolloutProfiles, unknownSkaffoldKeys } from './support/skaffold.ts';

// skaffold.yaml against what the repository holds: its artifacts, Dockerfiles and overlays.
// (manifests.test.ts renders every profile's kustomize paths.)
const images = ['music/front', 'music/back', 'music/client', 'music/spotify-sandbox'];

describe('skaffold.yaml', () => {
  it('is a skaffold/v4beta14 Config with no key the schema lacks', async () => {
    const config = await readSkaffold();
    expect(config.apiVersion).toBe('skaffold/v4beta14');
    expect(config.kind).toBe('Config');
    expect(unknownSkaffoldKeys(config)).toEqual([]);
    expect(unknownSkaffoldKeys({ ...config, profiles: [{ name: 'x', manifest: {} }] })).toEqual([
      'profiles[0].manifest',
    ]);
  });

  it("has exactly the rollout's profiles, each rendering its own overlay", async () => {
    const config = await readSkaffold();
    expect(config.profiles?.map((p) => p.name)).toEqual([...rolloutProfiles]);
    for (const { profile, paths } of kustomizePaths(config)) {
      expect(paths, profile).toEqual([`deploy/overlays/${profile === '(default)' ? 'v1' : profile}`]);
      for (const path of paths) expect(existsSync(join(repo, path, 'kustomization.yaml')), path).toBe(true);
    }
    expect((await readdir(join(repo, 'deploy/overlays'))).sort()).toEqual([...rolloutProfiles].sort());
  });

  it('builds every image the manifests use, each from a Dockerfile that exists, from the repository root', async () => {
    const config = await readSkaffold();
    const artifacts = config.build?.artifacts ?? [];
    expect(artifacts.map((a) => a.image)).toEqual(images);
    for (const artifact of artifacts) {
      expect(artifact.context, artifact.image).toBe('.');
      const dockerfile = artifact.docker?.dockerfile ?? 'Dockerfile';
      expect(dockerfile).toBe(`services/${artifact.image.replace('music/', '')}/Dockerfile`);
      expect(existsSync(join(repo, dockerfile)), dockerfile).toBe(true);
    }
    const used = new Set<string>();
    for (const entry of await readdir(join(repo, 'deploy'), { recursive: true })) {
      if (!/\.ya?ml$/.test(entry)) continue;
      const text = await readFile(join(repo, 'deploy', entry), 'utf8');
      for (const [, image] of text.matchAll(/image:\s*"?(music\/[a-z-]+)/g)) used.add(image as string);
    }
    expect([...used].sort()).toEqual([...images].sort());
  });

  it("writes the Secrets' files before every render, with the script that exists", async () => {
    const config = await readSkaffold();
    for (const render of [config.manifests, ...(config.profiles ?? []).map((p) => p.manifests)]) {
      const command = render?.hooks?.before?.[0]?.host?.command;
      expect(command).toEqual(['node', 'deploy/secrets/generate.ts']);
    }
    expect(existsSync(join(repo, 'deploy/secrets/generate.ts'))).toBe(true);
  });
});
