import { RateLimitedError, UnauthorizedError } from '@music/service-kit';
import type { UserRepository } from '../users/repository.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { Tokens } from './tokens.ts';

export interface SignInAttempt {
  username: string;
  password: string;
  clientIp: string;
}

/**
 * Exchanges a username and password for an id_token. Unknown users, wrong passwords and deactivated
 * accounts get the same answer after the same work (a hash is always checked), so neither the
 * message nor the timing tells which logins exist.
 */
export class SignIn {
  readonly #users: UserRepository;
  readonly #tokens: Tokens;
  readonly #throttle: LoginThrottle;
  #dummyHash: Promise<string> | undefined;

  constructor(users: UserRepository, tokens: Tokens, throttle: LoginThrottle) {
    this.#users = users;
    this.#tokens = tokens;
    this.#throttle = throttle;
  }

  async signIn({ username, password, clientIp }: SignInAttempt): Promise<string> {
    const login = username.trim().toLowerCase();
    const key = `${login}\n${clientIp}`;
    const retryAfter = this.#throttle.retryAfterSeconds(key);
    if (retryAfter > 0) throw new RateLimitedError(retryAfter, 'Too many failed sign-ins.');

    const user = await this.#users.credentials(login);
    this.#dummyHash ??= hashPassword('not-a-password');
    const matches = await verifyPassword(password, user?.passwordHash ?? (await this.#dummyHash));
    if (!user || !matches || !user.activated) {
      this.#throttle.recordFailure(key);
      throw new UnauthorizedError('Wrong username or password.');
    }
    this.#throttle.recordSuccess(key);
    return this.#tokens.issue({ login: user.login, authorities: user.authorities });
  }
}
