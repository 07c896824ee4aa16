import type { Queryable } from '../shadow-writes.ts';
import type { Rating } from './schema.ts';

/** PostgreSQL foreign_key_violation: the track was deleted between our check and our write. */
const FOREIGN_KEY_VIOLATION = '23503';

/** One rating per user and track, in table `ratings` (migration 002). */
export class RatingRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Sets the user's stars (a second rating replaces the first); null when the track does not exist. */
  async rate(trackId: string, login: string, stars: number): Promise<Rating | null> {
    try {
      const { rowCount } = await this.#db.query(
        `INSERT INTO ratings (track_id, login, stars)
         SELECT id, $2, $3 FROM tracks WHERE id = $1
         ON CONFLICT (track_id, login) DO UPDATE SET stars = excluded.stars, rated_at = now()`,
        [trackId, login, stars],
      );
      if (rowCount === 0) return null;
    } catch (error) {
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) return null;
      throw error;
    }
    return this.summary(trackId, login);
  }

  /** Withdraws the user's rating (nothing to withdraw is fine); false when the track does not exist. */
  async remove(trackId: string, login: string): Promise<boolean> {
    const { rows } = await this.#db.query<{ found: boolean }>(
      `WITH gone AS (DELETE FROM ratings WHERE track_id = $1 AND login = $2)
       SELECT EXISTS (SELECT 1 FROM tracks WHERE id = $1) AS found`,
      [trackId, login],
    );
    return rows[0]?.found === true;
  }

  async summary(trackId: string, login: string): Promise<Rating> {
    const { rows } = await this.#db.query<Rating>(
      `SELECT round(avg(stars), 2)::float8 AS average, count(*)::int AS count,
              max(stars) FILTER (WHERE login = $2)::int AS mine
       FROM ratings WHERE track_id = $1`,
      [trackId, login],
    );
    return rows[0] ?? { average: null, count: 0, mine: null };
  }
}
