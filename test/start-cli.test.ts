import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendants, poll } from '../mesh/test/support/processes.ts';
import { removeDataDir, temporaryDataDir } from './support/music.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await temporaryDataDir();
  });
  afterAll(() => removeDataDir(dataDir));

  /** `npm start` on the test's data directory, once it printed its URL; its output so far. */
  async function start(): Promise<{
    child: ChildProcessWithoutNullStreams;
    url: string;
    output: () => string;
  }> {
    const child = spawn(
      process.execPath,
      [
        'mesh/src/cli/start.ts',
        '--port',
        '0',
        '--admin-port',
        '0',
        '--stats-port',
        '0',
        '--console-port',
        '0',
        '--data-dir',
        dataDir,
      ],
      { env: { ...process.env, DATABASE_URL: '' } },
    );
    let output = '';
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up line in:\n${output}`)), 90_000);
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /Music is up at (http:\/\/\S+?)[\s—]/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    return { child, url, output: () => output };
  }

  it('prints the URL and credentials, serves the app, and Ctrl-C leaves nothing running', async () => {
    const { child, url, output } = await start();
    expect(output()).toContain('admin/admin');
    expect(output()).toContain(dataDir);

    const login = await fetch(`${url}/api/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin' }),
    });
    expect(login.status).toBe(200);
    const { id_token: token } = (await login.json()) as { id_token: string };
    expect(output()).not.toContain(token);

    // The mesh console's graph API, Kiali's shape, over the traffic so far (the login above).
    const consolePage = /Mesh console: (http:\/\/\S+)\/console\//.exec(output())?.[1];
    expect(consolePage).toBeDefined();
    expect((await fetch(`${consolePage}/console/`)).status).toBe(200);
    const consoleUrl = `${consolePage}/api/namespaces/graph?namespaces=music&graphType=versionedApp&injectServiceNodes=true&duration=60s`;
    type Graph = { graphType: string; elements: { nodes: { data: Record<string, unknown> }[] } };
    // The login went through the gateway to front; the console shows it after its next scrape (5 s),
    // front's service node flagged with the gateway VirtualService that routes to it.
    const frontNode = async () => {
      const graph = await fetch(consoleUrl as string);
      expect(graph.status).toBe(200);
      const body = (await graph.json()) as Graph;
      expect(body.graphType).toBe('versionedApp');
      return body.elements.nodes.find(
        (node) => node.data.nodeType === 'service' && node.data.service === 'front',
      );
    };
    const front = await poll('front in the console graph', frontNode, (node) => node !== undefined);
    expect(front?.data.hasVS).toEqual({ hostnames: ['*'] });

    const started = descendants(child.pid ?? 0);
    expect(started.length).toBeGreaterThanOrEqual(3);
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(started.filter(alive)).toEqual([]);
  });

  it('stops everything when its terminal closes, even after its output reader went away', async () => {
    const { child } = await start();
    const started = descendants(child.pid ?? 0);
    expect(started.length).toBeGreaterThanOrEqual(3);
    // As `npm start | head` once the reader exits, then the terminal closing (SIGHUP).
    child.stdout.destroy();
    child.stderr.destroy();
    child.kill('SIGHUP');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(started.filter(alive)).toEqual([]);
  });
});
