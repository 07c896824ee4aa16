import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseError } from '../errors.ts';
import { type Logger, silentLogger } from '../log.ts';
import { type KindInfo, kindOf } from '../manifests/kinds.ts';
import { parseYaml } from '../manifests/load.ts';
import { ControlPlane, type WorkloadController } from './plane.ts';
import { AppliedState, appliedFile, restoreApplied } from './state.ts';

const vs = (name: string, prefix: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: music }
spec:
  hosts: ["*"]
  gateways: [music-gateway]
  http: [{ match: [{ uri: { prefix: ${prefix} } }], route: [{ destination: { host: front } }] }]
`;

const deploy = (prefix = '/') =>
  parseYaml('deploy/istio/gateway.yaml', `${vs('front', prefix)}---${vs('back', '/back')}`);

function logger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warn: (line: string) => warnings.push(line), warnings };
}

/** One start of the runtime's control plane on `dataDir`: the state loaded, deploy/ applied over it. */
async function start(
  dataDir: string,
  documents = deploy(),
  options: { reset?: boolean; log?: Logger; workloads?: WorkloadController } = {},
) {
  const log = options.log ?? silentLogger;
  const state = new AppliedState(dataDir, log, () => 1234);
  const plane = new ControlPlane({
    compile: () => ({ warnings: [] }),
    install: () => {},
    log,
    workloads: options.workloads,
    save: (resources) => state.save(resources),
  });
  await restoreApplied(plane, state, documents, { reset: options.reset ?? false, log });
  const prefixes = Object.fromEntries(
    plane.topology.virtualServices.map((v) => [v.name, v.http[0]?.match[0]?.uri]),
  );
  return { plane, prefixes };
}

describe('applied objects across restarts', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'music-mesh-state-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps what was applied, including changes to objects of deploy/, in a file only its user reads', async () => {
    const first = await start(dataDir);
    await first.plane.apply(parseYaml('step.yaml', `${vs('front', '/step')}---${vs('added', '/added')}`));
    expect((await stat(join(dataDir, appliedFile))).mode & 0o777).toBe(0o600);

    const again = await start(dataDir);
    expect(again.prefixes).toEqual({
      front: { prefix: '/step' },
      back: { prefix: '/back' },
      added: { prefix: '/added' },
    });
    const [added] = again.plane.list(kindOf('VirtualService') as KindInfo, 'music', 'added');
    expect(added).toMatchObject({
      file: 'step.yaml (document 2)',
      position: { file: 'step.yaml', line: 10 },
    });
  });

  it('applies deploy/ over the saved objects where deploy/ changed, and brings back what was deleted', async () => {
    const first = await start(dataDir);
    await first.plane.apply(parseYaml('step.yaml', vs('front', '/step')));
    await first.plane.delete([{ kind: 'VirtualService', namespace: 'music', name: 'back' }]);

    const edited = await start(dataDir, deploy('/edited'));
    expect(edited.prefixes).toEqual({ front: { prefix: '/edited' }, back: { prefix: '/back' } });
  });

  it('starts from deploy/ alone with reset', async () => {
    const first = await start(dataDir);
    await first.plane.apply(parseYaml('step.yaml', `${vs('front', '/step')}---${vs('added', '/added')}`));

    const reset = await start(dataDir, deploy(), { reset: true });
    expect(reset.prefixes).toEqual({ front: { prefix: '/' }, back: { prefix: '/back' } });
    expect((await start(dataDir)).prefixes).toEqual(reset.prefixes);
  });

  it('sets a corrupt state file aside with one warning naming it, and starts from deploy/', async () => {
    const file = join(dataDir, appliedFile);
    await writeFile(file, '{"format": "music-mesh/applied/v1", "resources": [tru');
    const log = logger();
    const { prefixes } = await start(dataDir, deploy(), { log });
    expect(prefixes).toEqual({ front: { prefix: '/' }, back: { prefix: '/back' } });
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toContain(`the saved state ${file} cannot be used (`);
    expect(log.warnings[0]).toContain(`starting from deploy/ alone (it is kept as ${file}.bad-1234)`);
    expect(await readFile(`${file}.bad-1234`, 'utf8')).toContain('[tru');
    expect((await readdir(dataDir)).sort()).toEqual([appliedFile, `${appliedFile}.bad-1234`]);
  });

  it('sets aside a saved object the runtime no longer accepts, and starts from deploy/', async () => {
    const first = await start(dataDir);
    await first.plane.apply(parseYaml('step.yaml', vs('added', '/added')));
    const file = join(dataDir, appliedFile);
    await writeFile(file, (await readFile(file, 'utf8')).replace('"prefix": "/added"', '"prefx": "/added"'));
    const log = logger();
    expect((await start(dataDir, deploy(), { log })).prefixes).toEqual({
      front: { prefix: '/' },
      back: { prefix: '/back' },
    });
    expect(log.warnings).toEqual([
      expect.stringMatching(
        /step\.yaml: unknown field "spec\.http\[0\]\.match\[0\]\.uri\.prefx".*kept as .*\.bad-1234\)$/,
      ),
    ]);
  });

  it('keeps the saved objects when start-up fails for another reason (a database another runtime holds)', async () => {
    const first = await start(dataDir);
    await first.plane.apply(parseYaml('step.yaml', vs('added', '/added')));
    const file = join(dataDir, appliedFile);
    const saved = await readFile(file, 'utf8');
    const log = logger();
    const held = new DatabaseError(
      'PostgreSQL in .data/postgres belongs to the runtime with pid 42, still running',
    );
    const workloads: WorkloadController = { check: async () => {}, sync: async () => Promise.reject(held) };
    await expect(start(dataDir, deploy(), { log, workloads })).rejects.toThrow(held);
    expect(log.warnings).toEqual([]);
    expect(await readFile(file, 'utf8')).toBe(saved);
    expect(await readdir(dataDir)).toEqual([appliedFile]);
  });

  it('refuses a change it cannot save, and keeps the one in force', async () => {
    const { plane } = await start(dataDir);
    await rm(dataDir, { recursive: true, force: true });
    await expect(plane.apply(parseYaml('step.yaml', vs('front', '/step')))).rejects.toThrow(
      `could not save the applied objects to ${join(dataDir, appliedFile)} (ENOENT); nothing was applied`,
    );
    expect(plane.topology.virtualServices.map((v) => v.http[0]?.match[0]?.uri)).toEqual([
      { prefix: '/' },
      { prefix: '/back' },
    ]);
  });
});
