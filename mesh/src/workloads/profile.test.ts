import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProfile, parseProfile } from './profile.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

describe("Music's profile (deploy/local/profile.yaml)", () => {
  it('applies deploy/kubernetes then deploy/istio, in namespace music, with database music', async () => {
    const profile = await loadProfile(`${repo}deploy/local/profile.yaml`);
    expect(profile.manifests).toEqual([`${repo}deploy/kubernetes`, `${repo}deploy/istio`]);
    expect(profile.namespace).toBe('music');
    expect(profile.dataDir).toBe(`${repo}.data`);
    expect(profile.database).toEqual({ name: 'music', images: ['postgres'] });
  });

  it('runs every app image from its entry point in the repository, the Spotify side of v3 included', async () => {
    const profile = await loadProfile(`${repo}deploy/local/profile.yaml`);
    for (const service of ['front', 'back', 'client', 'spotify-sandbox']) {
      expect(profile.programs[`music/${service}`]).toMatchObject({
        command: ['node', `services/${service}/src/server.ts`],
        workingDir: repo.replace(/\/$/, ''),
      });
    }
    expect(profile.secrets['music-jwt']?.['private-key.pem']).toEqual({
      kind: 'generated',
      generate: 'ec-p256-private-key',
      file: 'jwt-private-key.pem',
    });
  });
});

describe('parseProfile', () => {
  const parse = (yaml: string) => () =>
    parseProfile(
      '/app/profile.yaml',
      `kind: LocalProfile\nname: App\nmanifests: [deploy]\nnamespace: app\n${yaml}`,
    );

  it('resolves folders against the profile and keeps optional parts empty', () => {
    const profile = parse('workingDir: ..')();
    expect(profile.manifests).toEqual(['/app/deploy']);
    expect(profile.database).toBeUndefined();
    expect(profile.programs).toEqual({});
    expect(profile.env).toEqual({});
  });

  it('refuses what is not a profile, naming the file and the field', () => {
    expect(() => parseProfile('/app/profile.yaml', 'apiVersion: v1\nkind: ConfigMap\n')).toThrow(
      '/app/profile.yaml: kind: must be LocalProfile (a local profile, not a Kubernetes object)',
    );
    expect(parse('images: {}')).toThrow(/^\/app\/profile\.yaml: unknown field "images"/);
    expect(parse('programs: { web: { command: [] } }')).toThrow(
      '/app/profile.yaml: programs.web.command: needs at least the program to run',
    );
    expect(parse('programs: { web: { command: [node], cwd: x } }')).toThrow(
      '/app/profile.yaml: unknown field "programs.web.cwd" (known: command, args, env, workingDir)',
    );
    expect(parse('secrets: { s: { k: 3 } }')).toThrow(
      '/app/profile.yaml: secrets.s.k: must be a string, null (left unset) or { generate, file } (quote numbers)',
    );
    expect(parse('secrets: { s: { k: { generate: rsa, file: k.pem } } }')).toThrow(
      '/app/profile.yaml: secrets.s.k.generate: must be one of ec-p256-private-key',
    );
    expect(parse('secrets: { s: { k: { generate: ec-p256-private-key, file: ../k.pem } } }')).toThrow(
      '/app/profile.yaml: secrets.s.k.file: must be a path inside the data directory',
    );
  });

  it('names every problem of the profile at once', () => {
    expect(parse('welcom: hi\nprograms: { web: { command: [node], cwd: x } }\nenv: { A: 1 }')).toThrow(
      '/app/profile.yaml: 3 problems: unknown field "welcom"; did you mean "welcome"?; unknown field "programs.web.cwd" (known: command, args, env, workingDir); env.A: must be a string',
    );
  });

  it('refuses a misspelt runtime value, and the database URL without a database', () => {
    expect(parse('env: { URL: "$(mesh.ingresUrl)/x" }')).toThrow(
      '/app/profile.yaml: env.URL: $(mesh.ingresUrl) is not a runtime value (known: mesh.ingressUrl, mesh.statsUrl, mesh.databaseUrl, mesh.logLevel)',
    );
    expect(parse('secrets: { db: { url: $(mesh.databaseUrl) } }')).toThrow(
      '/app/profile.yaml: secrets.db.url: $(mesh.databaseUrl) needs a database section in the profile',
    );
  });
});
