import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildTopology, parseYaml } from '../manifests/load.ts';
import { localImages } from './images.ts';
import { planWorkloads } from './supervisor.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const deployment = (name: string, image: string, env = '[]') => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: music }
spec:
  template:
    metadata: { labels: { app: ${name} } }
    spec: { containers: [{ name: main, image: "${image}", env: ${env} }] }
`;

const plan = (yaml: string, images = localImages) =>
  planWorkloads(buildTopology(parseYaml('test.yaml', yaml)), images, repoRoot);

describe('planWorkloads', () => {
  it('runs node images as processes and leaves postgres to the embedded database', async () => {
    const result = await plan(
      [deployment('worker', 'test/echo:1'), deployment('postgres', 'postgres:18')].join('---'),
      {
        'test/echo': { kind: 'node', entry: 'mesh/test/fixtures/echo-server.ts' },
        postgres: { kind: 'database' },
      },
    );
    expect(result.workloads.map((w) => w.deployment.name)).toEqual(['worker']);
    expect(result.databases.map((d) => d.name)).toEqual(['postgres']);
  });

  it('refuses an image without a local program, naming the Deployment and the table to edit', async () => {
    await expect(plan(deployment('mystery', 'acme/mystery:2'))).rejects.toThrow(
      'Deployment mystery: no local program for image acme/mystery:2 (see mesh/src/workloads/images.ts)',
    );
  });

  it('refuses a Secret-backed variable that has no local value', async () => {
    const env = '[{ name: API_TOKEN, valueFrom: { secretKeyRef: { name: tokens, key: api } } }]';
    await expect(plan(deployment('worker', 'music/back:0.1.0', env))).rejects.toThrow(
      /env API_TOKEN comes from Secret tokens, which has no local value/,
    );
  });

  it('refuses an entry point that does not exist yet', async () => {
    await expect(
      plan(deployment('worker', 'test/none:1'), {
        'test/none': { kind: 'node', entry: 'mesh/test/fixtures/none.ts' },
      }),
    ).rejects.toThrow('Deployment worker: mesh/test/fixtures/none.ts does not exist');
  });
});
