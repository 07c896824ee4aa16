// Writes the gitignored files deploy/secrets/kustomization.yaml generates the Secrets from.
//   node deploy/secrets/generate.ts [--database-url URL] [--spotify-client-id ID]
//     [--spotify-client-secret SECRET] [--admin-password PASSWORD] [--force]
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSecretFiles } from './secret-files.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    'spotify-client-id': { type: 'string' },
    'spotify-client-secret': { type: 'string' },
    'admin-password': { type: 'string' },
    force: { type: 'boolean', default: false },
  },
});
const dir = fileURLToPath(new URL('.', import.meta.url));
try {
  const written = await writeSecretFiles(dir, {
    databaseUrl: values['database-url'],
    spotifyClientId: values['spotify-client-id'],
    spotifyClientSecret: values['spotify-client-secret'],
    adminPassword: values['admin-password'],
    force: values.force,
  });
  process.stdout.write(
    written.length > 0 ? `deploy/secrets: wrote ${written.join(', ')}\n` : 'deploy/secrets: up to date\n',
  );
  if (written.includes('music-admin.env')) {
    // The password itself is never printed: it stays in the file, readable by you only.
    process.stdout.write("deploy/secrets: front's admin password is in deploy/secrets/music-admin.env\n");
  }
} catch (error) {
  process.stderr.write(`deploy/secrets: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
