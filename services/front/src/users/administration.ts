import {
  ConflictError,
  isUniqueViolation,
  NotFoundError,
  type Sort,
  ValidationError,
} from '@music/service-kit';
import { hashPassword } from '../auth/passwords.ts';
import { type Principal, ROLE_ADMIN } from '../auth/principal.ts';
import { currentAccount } from './current-account.ts';
import { newUserFields, updatedFields } from './input.ts';
import type { UserRepository } from './repository.ts';
import type { NewUserInput, SortField, User, UserUpdateInput } from './schema.ts';

/** What an administrator may do with accounts, including not locking themself out. */
export class UserAdministration {
  readonly #users: UserRepository;

  constructor(users: UserRepository) {
    this.#users = users;
  }

  /**
   * The caller's token only says who they were when it was issued; admin rights are what the
   * account holds now. A demoted admin gets a 403, a deactivated or deleted one a 401, and a token
   * issued before a change to the account a 401 TOKEN_REVOKED.
   */
  async requireCurrentAdmin(principal: Principal): Promise<void> {
    await currentAccount(this.#users, principal, ROLE_ADMIN);
  }

  list(page: number, size: number, sort: Sort<SortField>): Promise<{ items: User[]; total: number }> {
    return this.#users.page(page, size, sort);
  }

  async get(login: string): Promise<User> {
    return (await this.#users.find(login)) ?? notFound(login);
  }

  async create(input: NewUserInput): Promise<User> {
    const fields = newUserFields(input);
    try {
      return await this.#users.create(input.login, await hashPassword(input.password), fields);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(`The login ${input.login} is taken.`, [
          { field: 'login', message: 'is taken' },
        ]);
      }
      throw error;
    }
  }

  async update(actor: Principal, login: string, input: UserUpdateInput): Promise<User> {
    const current = await this.get(login);
    const fields = updatedFields(current, input);
    if (login === actor.login) {
      if (!fields.activated) {
        throw new ValidationError([
          { field: 'activated', message: `${login} is your own account: you cannot deactivate it` },
        ]);
      }
      if (!fields.authorities.includes(ROLE_ADMIN)) {
        throw new ValidationError([
          { field: 'authorities', message: `${login} is your own account: it keeps ${ROLE_ADMIN}` },
        ]);
      }
    }
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    return (await this.#users.update(login, fields, passwordHash)) ?? notFound(login);
  }

  async delete(actor: Principal, login: string): Promise<void> {
    if (login === actor.login) {
      // Not a malformed request but one the account's state forbids: a 409, naming why.
      throw new ConflictError(
        `${login} is your own account: you cannot delete the account you are signed in as.`,
        [{ field: 'login', message: `${login} is your own account: you cannot delete it` }],
      );
    }
    if (!(await this.#users.delete(login))) notFound(login);
  }
}

function notFound(login: string): never {
  throw new NotFoundError(`User ${login} does not exist.`);
}
