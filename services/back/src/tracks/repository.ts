import { randomUUID } from 'node:crypto';
import type { Sort } from '@music/service-kit';
import type pg from 'pg';
import type { SortField, Track } from './schema.ts';

export interface NewTrack {
  title: string;
  artist: string;
  album: string | null;
  durationMs: number | null;
}

interface TrackRow {
  id: string;
  title: string;
  artist: string;
  album: string | null;
  duration_ms: number | null;
  created_by: string;
  created_at: Date;
}

const COLUMNS: Record<SortField, string> = {
  title: 'lower(title)',
  artist: 'lower(artist)',
  album: 'lower(album)',
  durationMs: 'duration_ms',
  createdAt: 'created_at',
};

/** Tracks in PostgreSQL. Sort columns come from a fixed table, never from the request text. */
export class TrackRepository {
  readonly #db: pg.Pool;

  constructor(db: pg.Pool) {
    this.#db = db;
  }

  async page(page: number, size: number, sort: Sort<SortField>): Promise<{ items: Track[]; total: number }> {
    const order = `${COLUMNS[sort.field]} ${sort.direction === 'desc' ? 'DESC' : 'ASC'} NULLS LAST, id`;
    const [rows, count] = await Promise.all([
      this.#db.query<TrackRow>(`SELECT * FROM tracks ORDER BY ${order} LIMIT $1 OFFSET $2`, [
        size,
        page * size,
      ]),
      this.#db.query<{ total: string }>('SELECT count(*) AS total FROM tracks'),
    ]);
    return { items: rows.rows.map(toTrack), total: Number(count.rows[0]?.total ?? 0) };
  }

  async find(id: string): Promise<Track | null> {
    const { rows } = await this.#db.query<TrackRow>('SELECT * FROM tracks WHERE id = $1', [id]);
    return rows[0] ? toTrack(rows[0]) : null;
  }

  async create(track: NewTrack, createdBy: string): Promise<Track> {
    const { rows } = await this.#db.query<TrackRow>(
      `INSERT INTO tracks (id, title, artist, album, duration_ms, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [randomUUID(), track.title, track.artist, track.album, track.durationMs, createdBy],
    );
    return toTrack(rows[0] as TrackRow);
  }

  async update(id: string, track: NewTrack): Promise<Track | null> {
    const { rows } = await this.#db.query<TrackRow>(
      `UPDATE tracks SET title = $2, artist = $3, album = $4, duration_ms = $5 WHERE id = $1 RETURNING *`,
      [id, track.title, track.artist, track.album, track.durationMs],
    );
    return rows[0] ? toTrack(rows[0]) : null;
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM tracks WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }
}

function toTrack(row: TrackRow): Track {
  return {
    id: row.id,
    title: row.title,
    artist: row.artist,
    album: row.album,
    durationMs: row.duration_ms,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}
