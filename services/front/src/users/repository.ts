import type { Sort } from '@music/service-kit';
import type pg from 'pg';
import type { SortField, User } from './schema.ts';

export interface UserFields {
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  activated: boolean;
  authorities: readonly string[];
}

export interface Credentials {
  login: string;
  passwordHash: string;
  activated: boolean;
  authorities: readonly string[];
}

interface UserRow {
  login: string;
  password_hash: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  activated: boolean;
  authorities: string[];
  created_date: Date;
  last_modified_date: Date;
}

/** An account as it is now, with the second before which its tokens no longer count. */
export interface CurrentAccount {
  user: User;
  /** Whole seconds since the epoch; null for an account unchanged since before revocation existed. */
  tokensValidAfter: number | null;
}

const COLUMNS: Record<SortField, string> = {
  login: 'login',
  firstName: 'lower(first_name)',
  lastName: 'lower(last_name)',
  email: 'lower(email)',
  activated: 'activated',
  createdDate: 'created_date',
  lastModifiedDate: 'last_modified_date',
};

/** Users in PostgreSQL. The password hash never leaves this module except as Credentials. */
export class UserRepository {
  readonly #db: pg.Pool;

  constructor(db: pg.Pool) {
    this.#db = db;
  }

  async page(page: number, size: number, sort: Sort<SortField>): Promise<{ items: User[]; total: number }> {
    const order = `${COLUMNS[sort.field]} ${sort.direction === 'desc' ? 'DESC' : 'ASC'} NULLS LAST, login`;
    const [rows, count] = await Promise.all([
      this.#db.query<UserRow>(`SELECT * FROM users ORDER BY ${order} LIMIT $1 OFFSET $2`, [
        size,
        page * size,
      ]),
      this.#db.query<{ total: string }>('SELECT count(*) AS total FROM users'),
    ]);
    return { items: rows.rows.map(toUser), total: Number(count.rows[0]?.total ?? 0) };
  }

  async find(login: string): Promise<User | null> {
    const { rows } = await this.#db.query<UserRow>('SELECT * FROM users WHERE login = $1', [login]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async current(login: string): Promise<CurrentAccount | null> {
    const { rows } = await this.#db.query<UserRow & { valid_after: string | null }>(
      `SELECT *, floor(extract(epoch FROM tokens_valid_after))::bigint AS valid_after
       FROM users WHERE login = $1`,
      [login],
    );
    const row = rows[0];
    if (!row) return null;
    return { user: toUser(row), tokensValidAfter: row.valid_after === null ? null : Number(row.valid_after) };
  }

  async credentials(login: string): Promise<Credentials | null> {
    const { rows } = await this.#db.query<UserRow>('SELECT * FROM users WHERE login = $1', [login]);
    const row = rows[0];
    if (!row) return null;
    return {
      login: row.login,
      passwordHash: row.password_hash,
      activated: row.activated,
      authorities: row.authorities,
    };
  }

  /** Throws PostgreSQL's unique violation when the login exists. */
  async create(login: string, passwordHash: string, fields: UserFields): Promise<User> {
    const { rows } = await this.#db.query<UserRow>(
      `INSERT INTO users (login, password_hash, first_name, last_name, email, activated, authorities)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        login,
        passwordHash,
        fields.firstName,
        fields.lastName,
        fields.email,
        fields.activated,
        fields.authorities,
      ],
    );
    return toUser(rows[0] as UserRow);
  }

  /** For seeding: leaves an existing user (and the password it may have changed to) alone. */
  async createIfAbsent(login: string, passwordHash: string, fields: UserFields): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `INSERT INTO users (login, password_hash, first_name, last_name, email, activated, authorities)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (login) DO NOTHING`,
      [
        login,
        passwordHash,
        fields.firstName,
        fields.lastName,
        fields.email,
        fields.activated,
        fields.authorities,
      ],
    );
    return (rowCount ?? 0) > 0;
  }

  async exists(login: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('SELECT 1 FROM users WHERE login = $1', [login]);
    return (rowCount ?? 0) > 0;
  }

  /**
   * A new password, activation or authorities revoke the tokens issued before it (the right-hand
   * sides read the row as it was); names and email do not.
   */
  async update(login: string, fields: UserFields, passwordHash: string | null): Promise<User | null> {
    const { rows } = await this.#db.query<UserRow>(
      `UPDATE users SET first_name = $2, last_name = $3, email = $4, activated = $5, authorities = $6,
         password_hash = coalesce($7, password_hash), last_modified_date = now(),
         tokens_valid_after = CASE
           WHEN $7::text IS NOT NULL OR activated IS DISTINCT FROM $5 OR authorities IS DISTINCT FROM $6
           THEN now() ELSE tokens_valid_after END
       WHERE login = $1 RETURNING *`,
      [
        login,
        fields.firstName,
        fields.lastName,
        fields.email,
        fields.activated,
        fields.authorities,
        passwordHash,
      ],
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  async delete(login: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM users WHERE login = $1', [login]);
    return (rowCount ?? 0) > 0;
  }
}

function toUser(row: UserRow): User {
  return {
    login: row.login,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    activated: row.activated,
    authorities: row.authorities,
    createdDate: row.created_date.toISOString(),
    lastModifiedDate: row.last_modified_date.toISOString(),
  };
}
