// Writes the gitignored files deploy/secrets/kustomization.yaml generates the Secrets from.
//   node deploy/secrets/generate.ts [--database-url URL] [--spotify-client-id ID]
//     [--spotify-client-secret SECRET] [--admin-password PASSWORD] [--force]
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSecretFiles } from './secret-files.ts';

const usage = `Usage: node deploy/secrets/generate.ts [options]

Writes the gitignored files deploy/secrets/kustomization.yaml generates the cluster's Secrets from
(front's signing key and its public JWK, the database URL, Spotify's credentials, the admin
password). A file that exists is kept unless --force; jwks.json always follows the signing key.

Options:
  --database-url <url>             a managed database (default: the in-cluster PostgreSQL, random password)
  --spotify-client-id <id>         Spotify's client credentials (default: music-sandbox and a random
  --spotify-client-secret <secret> secret, which the spotify-sandbox accepts)
  --admin-password <password>      front's admin password at its first start (default: random)
  --force                          rewrite the files that exist (a new signing key logs every user out)
  --help                           this text`;

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        'database-url': { type: 'string' },
        'spotify-client-id': { type: 'string' },
        'spotify-client-secret': { type: 'string' },
        'admin-password': { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`deploy/secrets: ${(error as Error).message} (see --help)\n`);
    process.exit(2);
  }
})();
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
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
