import { createHash } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const LENGTH = 22;

/**
 * A Spotify-shaped id (22 base62 characters) derived from a stable key, so a track keeps its id
 * across restarts and replicas without a database.
 */
export function spotifyId(key: string): string {
  let value = BigInt(`0x${createHash('sha256').update(key).digest('hex')}`);
  let id = '';
  for (let i = 0; i < LENGTH; i++) {
    id = ALPHABET[Number(value % 62n)] + id;
    value /= 62n;
  }
  return id;
}

export function isSpotifyId(value: string): boolean {
  return /^[0-9A-Za-z]{22}$/.test(value);
}
