import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { secretFiles, writeSecretFiles } from '../../deploy/secrets/secret-files.ts';
import { createSigningKey } from '../../services/front/src/auth/keys.ts';
import { repo } from './support/render.ts';

// The Secrets' values are generated on the deploying machine and never committed.
const privateKeyBlock = new RegExp(['-----BEGIN', '[A-Z ]*PRIVATE', 'KEY-----'].join(' '));
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });

/** Tracked files, and new ones not ignored: what a commit could take. */
function committable(): string[] {
  return git('ls-files', '-z', '--cached', '--others', '--exclude-standard')
    .split('\0')
    .filter((file) => file !== '' && !file.startsWith('node_modules/'));
}

describe('secrets', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("deploy/secrets/generate.ts writes front's signing key and the JWKS front would publish for it", async () => {
    dir = await mkdtemp(join(tmpdir(), 'music-secrets-'));
    expect(await writeSecretFiles(dir)).toEqual(Object.values(secretFiles));
    const pem = await readFile(join(dir, secretFiles.jwtPrivateKey), 'utf8');
    const jwks = JSON.parse(await readFile(join(dir, secretFiles.jwks), 'utf8')) as { keys: unknown[] };
    expect(jwks).toEqual({ keys: [createSigningKey(pem).jwk] });
    expect((await stat(join(dir, secretFiles.jwtPrivateKey))).mode & 0o077).toBe(0);
    const db = await readFile(join(dir, secretFiles.database), 'utf8');
    expect(db).toMatch(
      /^password=[\w-]{32}\nurl=postgres:\/\/music:[\w-]{32}@postgres\.music\.svc\.cluster\.local:5432\/music\n$/,
    );
    expect(await writeSecretFiles(dir)).toEqual([]);
    expect(await writeSecretFiles(dir, { databaseUrl: 'postgres://u:p@db.example.com:5432/music' })).toEqual([
      secretFiles.database,
    ]);
    expect(await readFile(join(dir, secretFiles.database), 'utf8')).toContain(
      'url=postgres://u:p@db.example.com:5432/music\n',
    );
  });

  it('keeps the generated files out of git', () => {
    const files = Object.values(secretFiles).map((name) => `deploy/secrets/${name}`);
    expect(
      git('check-ignore', ...files)
        .trim()
        .split('\n'),
    ).toEqual(files);
  });

  it('has no private key, Secret value or password literal in the repository', async () => {
    const findings: string[] = [];
    for (const file of committable()) {
      if (/\.(png|jpe?g|gif|ico|woff2?|ttf|gz|zip|lockb)$/.test(file) || file === 'package-lock.json')
        continue;
      const text = await readFile(join(repo, file), 'utf8').catch(() => '');
      if (privateKeyBlock.test(text)) findings.push(`${file}: PEM private key`);
      if (/(^|\/)[^/]*\.env$/.test(file)) findings.push(`${file}: env file (commit a .example instead)`);
      if (!/\.ya?ml$/.test(file) || !file.startsWith('deploy/')) continue;
      for (const doc of parseAllDocuments(text)) {
        const value = doc.toJS() as Record<string, unknown> | null;
        if (value?.kind === 'Secret' && (value.data || value.stringData)) {
          findings.push(`${file}: Secret with data`);
        }
      }
      for (const [, name, literal] of text.matchAll(
        /- name: (\w*(?:PASSWORD|SECRET|PRIVATE_KEY|TOKEN)\w*)\n\s+value: (.+)/g,
      )) {
        if (literal && literal.trim() !== '""') findings.push(`${file}: ${name} given as a literal`);
      }
    }
    expect(findings).toEqual([]);
  });
});
