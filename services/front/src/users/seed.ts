import { hashPassword } from '../auth/passwords.ts';
import { ROLE_ADMIN, ROLE_USER } from '../auth/principal.ts';
import type { Config } from '../config.ts';
import type { UserRepository } from './repository.ts';

interface SeedAccount {
  login: string;
  password: string;
  firstName: string;
  authorities: readonly string[];
}

/**
 * The accounts front needs to be usable: `admin` with ADMIN_PASSWORD, and with dev defaults the
 * tutorial's admin/admin and user/user. They are written directly, so the API's password rules do
 * not apply to them. An existing account is left as it is: its password may have been changed since.
 */
export async function seedUsers(users: UserRepository, config: Readonly<Config>): Promise<string[]> {
  const admin = { login: 'admin', firstName: 'Administrator', authorities: [ROLE_ADMIN, ROLE_USER] };
  const accounts: SeedAccount[] = config.MUSIC_DEV_DEFAULTS
    ? [
        { ...admin, password: config.ADMIN_PASSWORD ?? 'admin' },
        { login: 'user', firstName: 'User', authorities: [ROLE_USER], password: 'user' },
      ]
    : config.ADMIN_PASSWORD === undefined
      ? []
      : [{ ...admin, password: config.ADMIN_PASSWORD }];

  const created: string[] = [];
  for (const account of accounts) {
    if (await users.exists(account.login)) continue;
    const fields = {
      firstName: account.firstName,
      lastName: null,
      email: null,
      activated: true,
      authorities: account.authorities,
    };
    if (await users.createIfAbsent(account.login, await hashPassword(account.password), fields))
      created.push(account.login);
  }
  return created;
}
