import type { Migration } from '@music/service-kit';

/** Expand-only: a column or table is added, never renamed or dropped while an older version runs. */
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
];
