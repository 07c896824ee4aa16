import type { Migration } from '@music/service-kit';

/** Expand-only: a column or table is added, never renamed or dropped while an older version runs. */
export const migrations: readonly Migration[] = [
  {
    id: '001-create-users',
    sql: `
      CREATE TABLE users (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        login text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9._@-]{1,50}$'),
        password_hash text NOT NULL,
        first_name text CHECK (length(first_name) <= 50),
        last_name text CHECK (length(last_name) <= 50),
        email text CHECK (length(email) <= 254),
        activated boolean NOT NULL DEFAULT true,
        authorities text[] NOT NULL DEFAULT '{ROLE_USER}',
        created_date timestamptz NOT NULL DEFAULT now(),
        last_modified_date timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    // Nullable, with the default set afterwards, so the upgrade itself revokes no token in use.
    id: '002-users-tokens-valid-after',
    sql: `
      ALTER TABLE users ADD COLUMN tokens_valid_after timestamptz;
      ALTER TABLE users ALTER COLUMN tokens_valid_after SET DEFAULT now();
    `,
  },
];
