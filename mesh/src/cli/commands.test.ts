import { describe, expect, it } from 'vitest';
import { type Io, runMesh } from './commands.ts';

/** The CLI in this process, with no runtime: each of these fails before it would connect. */
async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdin: async () => '',
    cwd: '/',
    env: {},
  };
  try {
    return { code: await runMesh([...args, '--data-dir', '/nonexistent'], io), out, err };
  } catch (error) {
    return { code: 1, out, err: [...err, (error as Error).message] };
  }
}

describe('mesh CLI mistakes', () => {
  it('suggests the nearest command for a mistyped one', async () => {
    expect((await run(['aply', '-f', 'x.yaml'])).err).toEqual([
      'unknown command "aply"; did you mean "apply"? (see mesh --help)',
    ]);
    expect((await run(['anlyze'])).err).toEqual([
      'unknown command "anlyze"; did you mean "analyze"? (see mesh --help)',
    ]);
    expect((await run(['frobnicate'])).err).toEqual(['unknown command "frobnicate" (see mesh --help)']);
  });

  it('suggests the nearest kind, as its plural, for get and delete', async () => {
    expect((await run(['get', 'virtualservic'])).err).toEqual([
      'the server doesn\'t have a resource type "virtualservic"; did you mean "virtualservices"? (see mesh get --help)',
    ]);
    expect((await run(['delete', 'deploymnt', 'back-v2'])).err).toEqual([
      'the server doesn\'t have a resource type "deploymnt"; did you mean "deployments"? (see mesh delete --help)',
    ]);
    expect((await run(['get', 'widgets'])).err).toEqual([
      'the server doesn\'t have a resource type "widgets" (see mesh get --help)',
    ]);
  });

  it('refuses an explain URL without a scheme, saying so, instead of explaining it as not routed', async () => {
    expect((await run(['explain', 'localhost:8080/back'])).err).toEqual([
      'explain needs a URL with its scheme, http:// or https:// (got localhost:8080/back; e.g. http://localhost:8080/back)',
    ]);
  });
});
