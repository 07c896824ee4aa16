import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildTopology, parseYaml } from '../manifests/load.ts';
import { parseProfile } from './profile.ts';
import { planWorkloads } from './supervisor.ts';

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

const profile = parseProfile(
  `${fixtures}profile.yaml`,
  `
kind: LocalProfile
name: Test
manifests: [deploy]
namespace: music
database: { name: test, images: [postgres] }
programs:
  test/echo: { command: [node, echo-server.ts] }
  test/worker: { command: [node, echo-server.ts], args: [--worker] }
  test/missing-tool: { command: [no-such-program-here] }
  test/elsewhere: { command: [node, x.ts], workingDir: no-such-folder }
secrets:
  music-db: { url: $(mesh.databaseUrl) }
`,
);

const deployment = (name: string, image: string, env = '[]') => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: music }
spec:
  template:
    metadata: { labels: { app: ${name} } }
    spec: { containers: [{ name: main, image: "${image}", env: ${env} }] }
`;

const plan = (yaml: string) =>
  planWorkloads(buildTopology(parseYaml('test.yaml', yaml)), { profile, path: process.env.PATH });

describe('planWorkloads', () => {
  it("runs the profile's programs as processes and leaves postgres to the embedded database", async () => {
    const result = await plan(
      [deployment('worker', 'test/echo:1'), deployment('postgres', 'postgres:18')].join('---'),
    );
    expect(result.workloads.map((w) => [w.deployment.name, w.program.command])).toEqual([
      ['worker', ['node', 'echo-server.ts']],
    ]);
    expect(result.databases.map((d) => d.name)).toEqual(['postgres']);
    expect(result.needsDatabase).toBe(true);
  });

  it('needs no database when no workload is one or names its URL', async () => {
    const result = await plan(deployment('worker', 'test/worker'));
    expect(result.needsDatabase).toBe(false);
    const withUrl = await plan(
      deployment(
        'worker',
        'test/worker',
        '[{ name: DB, valueFrom: { secretKeyRef: { name: music-db, key: url } } }]',
      ),
    );
    expect(withUrl.needsDatabase).toBe(true);
  });

  it('refuses an image without a program, naming the Deployment and the profile to edit', async () => {
    await expect(plan(deployment('mystery', 'acme/mystery:2'))).rejects.toThrow(
      /^Deployment mystery: no local program for image acme\/mystery:2 \(add it to programs in .*profile\.yaml\)$/,
    );
  });

  it('refuses a Secret-backed variable whose Secret is neither applied nor given a local value', async () => {
    const env = '[{ name: API_TOKEN, valueFrom: { secretKeyRef: { name: tokens, key: api } } }]';
    await expect(plan(deployment('worker', 'test/echo:0.1.0', env))).rejects.toThrow(
      /env API_TOKEN comes from Secret tokens \(key api\), which is not applied in namespace music and has no local value/,
    );
    const secret =
      'apiVersion: v1\nkind: Secret\nmetadata: { name: tokens, namespace: music }\nstringData: { api: t }\n';
    await expect(
      plan(`${deployment('worker', 'test/echo:0.1.0', env)}---\n${secret}`),
    ).resolves.toBeDefined();
  });

  it('refuses a command that is not on PATH and a working directory that does not exist', async () => {
    await expect(plan(deployment('tool', 'test/missing-tool'))).rejects.toThrow(
      /^Deployment tool: no-such-program-here is not an executable on PATH \(programs\["test\/missing-tool"\]\.command, /,
    );
    await expect(plan(deployment('elsewhere', 'test/elsewhere'))).rejects.toThrow(
      /^Deployment elsewhere: the working directory .*no-such-folder does not exist$/,
    );
  });
});
