import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Generator, Profile } from '../workloads/profile.ts';

/**
 * Every value the profile's Secrets have generated (by their file in the data directory), made
 * on first start and kept (mode 0600): a signing key then survives a restart, and so do the
 * tokens it signed.
 */
export async function loadGeneratedValues(profile: Profile, dataDir: string): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const keys of Object.values(profile.secrets)) {
    for (const value of Object.values(keys)) {
      if (value.kind !== 'generated' || values.has(value.file)) continue;
      values.set(value.file, await loadOrCreate(join(dataDir, value.file), value.generate));
    }
  }
  return values;
}

async function loadOrCreate(file: string, generator: Generator): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const text = generate(generator);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, { mode: 0o600, flag: 'wx' });
  return text;
}

function generate(generator: Generator): string {
  switch (generator) {
    case 'ec-p256-private-key': {
      // A P-256 key as PKCS#8 PEM: what ES256 tokens are signed with.
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    }
  }
}
