/**
 * What the runtime keeps in its data directory (`--data-dir`), named in one place because the
 * control plane writes these files and the database's stale-lock recovery reads them.
 */

/** The running runtime's admin URL, token and pid (mode 0600). */
export const adminFile = 'admin.json';
