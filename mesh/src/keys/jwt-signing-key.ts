import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * front's ES256 signing key as PKCS#8 PEM, generated on first start and kept (mode 0600) so
 * that tokens issued before a restart stay valid after it.
 */
export async function loadOrCreateJwtPrivateKey(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
  return pem;
}
