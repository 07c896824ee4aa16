import { randomUUID } from 'node:crypto';
import type { Sort } from '@music/service-kit';
import type { Rating } from '../ratings/schema.ts';
import type { Queryable } from '../shadow-writes.ts';
import type { LibraryTrack, SortField } from './schema.ts';

export interface NewTrack {
  title: string;
  artist: string;
  album: string | null;
  durationMs: number | null;
}

/** A Spotify track as the library keeps it (back v3). */
export interface NewSpotifyTrack extends NewTrack {
  spotifyId: string;
  albumArtUrl: string | null;
}

/** Where a Spotify track is in the library, and its ratings when asked for. */
export interface LibraryEntry {
  id: string;
  rating?: Rating;
}

/** Which page of the list, and what it carries. */
export interface TrackCriteria {
  page: number;
  size: number;
  /** `rating` needs `ratingsFor`. */
  sort: Sort<SortField>;
  /** Text that the title, artist or album contains, in any case; `%` and `_` match themselves. */
  search?: string;
  /** Adds each track's `rating`, with this user's own stars as `mine`. */
  ratingsFor?: string;
}

export type ListedTrack = LibraryTrack & { rating?: Rating };

interface TrackRow {
  id: string;
  title: string;
  artist: string;
  album: string | null;
  duration_ms: number | null;
  created_by: string;
  created_at: Date;
  /** null for tracks typed in, and absent before migration 003. */
  spotify_id?: string | null;
  album_art_url?: string | null;
}

interface ListedRow extends TrackRow {
  average?: number | null;
  rating_count?: number;
  mine?: number | null;
}

const COLUMNS: Record<SortField, string> = {
  title: 'lower(t.title)',
  artist: 'lower(t.artist)',
  album: 'lower(t.album)',
  durationMs: 't.duration_ms',
  createdAt: 't.created_at',
  rating: 'r.average',
};

const RATINGS_JOIN = `
  LEFT JOIN LATERAL (
    SELECT round(avg(stars), 2)::float8 AS average, count(*)::int AS rating_count
    FROM ratings WHERE track_id = t.id
  ) r ON true`;

/** Tracks in PostgreSQL. Sort columns come from a fixed table, never from the request text. */
export class TrackRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async page(criteria: TrackCriteria): Promise<{ items: ListedTrack[]; total: number }> {
    const { page, size, sort, search, ratingsFor } = criteria;
    const values: unknown[] = [];
    const bind = (value: unknown) => `$${values.push(value)}`;
    let where = '';
    if (search !== undefined) {
      const pattern = bind(`%${escapeLike(search)}%`);
      where = `WHERE ${['t.title', 't.artist', 't.album'].map((c) => `${c} ILIKE ${pattern} ESCAPE '\\'`).join(' OR ')}`;
    }
    const count = this.#db.query<{ total: string }>(
      `SELECT count(*) AS total FROM tracks t ${where}`,
      values.slice(),
    );
    let columns = 't.*';
    let joins = '';
    if (ratingsFor !== undefined) {
      columns += ', r.average, r.rating_count, m.stars AS mine';
      joins = `${RATINGS_JOIN} LEFT JOIN ratings m ON m.track_id = t.id AND m.login = ${bind(ratingsFor)}`;
    }
    const order = `${COLUMNS[sort.field]} ${sort.direction === 'desc' ? 'DESC' : 'ASC'} NULLS LAST, t.id`;
    const rows = this.#db.query<ListedRow>(
      `SELECT ${columns} FROM tracks t ${joins} ${where} ORDER BY ${order} LIMIT ${bind(size)} OFFSET ${bind(page * size)}`,
      values,
    );
    const [listed, counted] = await Promise.all([rows, count]);
    return { items: listed.rows.map(toListedTrack), total: Number(counted.rows[0]?.total ?? 0) };
  }

  async find(id: string): Promise<LibraryTrack | null> {
    const { rows } = await this.#db.query<TrackRow>('SELECT * FROM tracks WHERE id = $1', [id]);
    return rows[0] ? toTrack(rows[0]) : null;
  }

  async create(track: NewTrack, createdBy: string): Promise<LibraryTrack> {
    const { rows } = await this.#db.query<TrackRow>(
      `INSERT INTO tracks (id, title, artist, album, duration_ms, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [randomUUID(), track.title, track.artist, track.album, track.durationMs, createdBy],
    );
    return toTrack(rows[0] as TrackRow);
  }

  async update(id: string, track: NewTrack): Promise<LibraryTrack | null> {
    const { rows } = await this.#db.query<TrackRow>(
      `UPDATE tracks SET title = $2, artist = $3, album = $4, duration_ms = $5 WHERE id = $1 RETURNING *`,
      [id, track.title, track.artist, track.album, track.durationMs],
    );
    return rows[0] ? toTrack(rows[0]) : null;
  }

  /**
   * Adds a Spotify track to the library, once: `created` is false when it was there already
   * (saved earlier, or by a concurrent request), and `track` is then the one saved first.
   */
  async saveFromSpotify(
    track: NewSpotifyTrack,
    createdBy: string,
  ): Promise<{ track: LibraryTrack; created: boolean }> {
    const { rows } = await this.#db.query<TrackRow>(
      `INSERT INTO tracks (id, title, artist, album, duration_ms, created_by, spotify_id, album_art_url)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (spotify_id) DO NOTHING RETURNING *`,
      [
        randomUUID(),
        track.title,
        track.artist,
        track.album,
        track.durationMs,
        createdBy,
        track.spotifyId,
        track.albumArtUrl,
      ],
    );
    if (rows[0]) return { track: toTrack(rows[0]), created: true };
    const existing = await this.findBySpotifyId(track.spotifyId);
    if (existing === null) throw new Error(`track ${track.spotifyId} conflicted but cannot be found`);
    return { track: existing, created: false };
  }

  async findBySpotifyId(spotifyId: string): Promise<LibraryTrack | null> {
    const { rows } = await this.#db.query<TrackRow>('SELECT * FROM tracks WHERE spotify_id = $1', [
      spotifyId,
    ]);
    return rows[0] ? toTrack(rows[0]) : null;
  }

  /** The library's tracks among these Spotify ids, by Spotify id; with `ratingsFor`, their ratings. */
  async librarySpotifyTracks(
    spotifyIds: readonly string[],
    ratingsFor?: string,
  ): Promise<Map<string, LibraryEntry>> {
    if (spotifyIds.length === 0) return new Map();
    const rated = ratingsFor !== undefined;
    const { rows } = await this.#db.query<ListedRow>(
      rated
        ? `SELECT t.id, t.spotify_id, r.average, r.rating_count, m.stars AS mine FROM tracks t ${RATINGS_JOIN}
           LEFT JOIN ratings m ON m.track_id = t.id AND m.login = $2
           WHERE t.spotify_id = ANY($1::text[])`
        : 'SELECT t.id, t.spotify_id FROM tracks t WHERE t.spotify_id = ANY($1::text[])',
      rated ? [spotifyIds, ratingsFor] : [spotifyIds],
    );
    const entries = new Map<string, LibraryEntry>();
    for (const row of rows) {
      const entry: LibraryEntry = { id: row.id };
      if (row.rating_count !== undefined)
        entry.rating = { average: row.average ?? null, count: row.rating_count, mine: row.mine ?? null };
      entries.set(row.spotify_id as string, entry);
    }
    return entries;
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM tracks WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }
}

/** `%`, `_` and the escape character itself match literally. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function toListedTrack(row: ListedRow): ListedTrack {
  const track = toTrack(row);
  if (row.rating_count === undefined) return track;
  return {
    ...track,
    rating: { average: row.average ?? null, count: row.rating_count, mine: row.mine ?? null },
  };
}

function toTrack(row: TrackRow): LibraryTrack {
  return {
    id: row.id,
    title: row.title,
    artist: row.artist,
    album: row.album,
    durationMs: row.duration_ms,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    source: 'library',
    spotifyId: row.spotify_id ?? null,
    albumArtUrl: row.album_art_url ?? null,
  };
}
