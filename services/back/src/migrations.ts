import type { Migration } from '@music/service-kit';

/**
 * Expand-only: a column or table is added, never renamed or dropped while an older version runs.
 *
 * The list does not depend on APP_VERSION. Every version is the same code, and whichever replica
 * starts first applies everything (the runner's advisory lock serialises replicas and versions that
 * start together), so during a canary back-v1 and back-v2 share one schema. v1 never reads
 * `ratings`; deleting a track from v1 takes its ratings along (ON DELETE CASCADE). An older image
 * that lacks a migration id simply skips it: it ignores rows of `schema_migrations` it does not know.
 */
export const migrations: readonly Migration[] = [
  {
    id: '001-create-tracks',
    sql: `
      CREATE TABLE tracks (
        id uuid PRIMARY KEY,
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        artist text NOT NULL CHECK (length(artist) BETWEEN 1 AND 200),
        album text CHECK (length(album) <= 200),
        duration_ms integer CHECK (duration_ms > 0),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX tracks_title_idx ON tracks (lower(title), id);
      CREATE INDEX tracks_created_at_idx ON tracks (created_at, id);
    `,
  },
  {
    // back v2: ratings, and search on title, artist and album. The trigram indexes make
    // `ILIKE '%text%'` indexable; where pg_trgm cannot be installed (no contrib, no privilege)
    // search still works, by scanning.
    id: '002-ratings-and-search',
    sql: `
      CREATE TABLE ratings (
        track_id uuid NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
        login text NOT NULL,
        stars smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
        rated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (track_id, login)
      );
      DO $$
      BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
      EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm unavailable (%): track search scans the table', SQLERRM;
      END
      $$;
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_opclass WHERE opcname = 'gin_trgm_ops' AND pg_opclass_is_visible(oid)) THEN
          CREATE INDEX tracks_title_trgm_idx ON tracks USING gin (title gin_trgm_ops);
          CREATE INDEX tracks_artist_trgm_idx ON tracks USING gin (artist gin_trgm_ops);
          CREATE INDEX tracks_album_trgm_idx ON tracks USING gin (album gin_trgm_ops);
        END IF;
      END
      $$;
    `,
  },
  {
    // back v3: tracks saved from Spotify. Older versions read and write tracks as before (both
    // columns stay null for their tracks); one library track per Spotify track. A unique index
    // treats nulls as distinct, so tracks typed in by hand are not affected.
    id: '003-spotify-tracks',
    sql: `
      ALTER TABLE tracks
        ADD COLUMN spotify_id text CHECK (spotify_id ~ '^[0-9A-Za-z]{22}$'),
        ADD COLUMN album_art_url text CHECK (length(album_art_url) <= 2000);
      CREATE UNIQUE INDEX tracks_spotify_id_key ON tracks (spotify_id);
    `,
  },
];
