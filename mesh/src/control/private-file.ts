import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes `text` to `file` readable by its user only (mode 0600 from the first byte: a fresh
 * temporary file, O_EXCL), then renames it over the old one, so a reader never sees half a file.
 */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await rm(temporary, { force: true });
  await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
  await rename(temporary, file);
}
