import type { CatalogTrack } from './catalog.ts';

interface ParsedQuery {
  terms: string[];
  track: string[];
  artist: string[];
  album: string[];
  year: { from: number; to: number } | null;
}

/**
 * Spotify's query syntax, simply: free words must each appear in the track, artist or album name;
 * `track:`, `artist:` and `album:` restrict a word (or a "quoted phrase") to that field, and
 * `year:1997` or `year:1990-1999` to a release year. Case and accents are ignored.
 */
export function searchTracks(tracks: readonly CatalogTrack[], q: string): CatalogTrack[] {
  const query = parseQuery(q);
  return tracks.filter((track) => matches(track, query));
}

function parseQuery(q: string): ParsedQuery {
  const query: ParsedQuery = { terms: [], track: [], artist: [], album: [], year: null };
  for (const match of q.matchAll(/(?:(\w+):)?(?:"([^"]*)"|(\S+))/g)) {
    const field = match[1]?.toLowerCase();
    const value = normalize(match[2] ?? match[3] ?? '');
    if (value === '') continue;
    if (field === 'track' || field === 'artist' || field === 'album') query[field].push(value);
    else if (field === 'year') query.year = parseYears(value);
    else query.terms.push(normalize(match[0]));
  }
  return query;
}

function parseYears(value: string): ParsedQuery['year'] {
  const match = /^(\d{4})(?:-(\d{4}))?$/.exec(value);
  if (!match) return null;
  const from = Number(match[1]);
  return { from, to: match[2] ? Number(match[2]) : from };
}

function matches(track: CatalogTrack, query: ParsedQuery): boolean {
  const name = normalize(track.name);
  const artists = normalize(track.artists.map((a) => a.name).join(' '));
  const album = normalize(track.album.name);
  const all = `${name} ${artists} ${album}`;
  if (query.year && (track.album.year < query.year.from || track.album.year > query.year.to)) return false;
  return (
    query.terms.every((term) => all.includes(term)) &&
    query.track.every((term) => name.includes(term)) &&
    query.artist.every((term) => artists.includes(term)) &&
    query.album.every((term) => album.includes(term))
  );
}

function normalize(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/[’‘]/g, "'").toLowerCase();
}
