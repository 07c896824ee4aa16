import { RateLimitedError, UnauthorizedError } from '@music/service-kit';
import type { UserRepository } from '../users/repository.ts';
import type { HashingGate } from './hashing-gate.ts';
import { KnownAddresses } from './known-addresses.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { Tokens } from './tokens.ts';

/** Failures per username and address pair, per address, and per account (counted, never locked). */
export interface SignInThrottles {
  pair: LoginThrottle;
  address: LoginThrottle;
  account: LoginThrottle;
}

export interface SignInAttempt {
  username: string;
  password: string;
  clientIp: string;
}

/**
 * Exchanges a username and password for an id_token. Unknown users, wrong passwords and deactivated
 * accounts get the same answer after the same work (a hash is always checked), so neither the
 * message nor the timing tells which logins exist.
 *
 * Limits, all checked before any hashing: a username and address pair, and an address across
 * usernames, are locked after too many failures. An account is never locked (a forger spraying it
 * from many addresses would lock its owner out); its failures make further attempts on it suspect,
 * and suspect attempts wait behind clean ones for the bounded hashing gate, or get 429 when it is full.
 * An address that signed in to the login before is not suspect at all, so the owner of an account
 * under attack still gets through from where they usually sign in.
 */
export class SignIn {
  readonly #users: UserRepository;
  readonly #tokens: Tokens;
  readonly #throttles: SignInThrottles;
  readonly #gate: HashingGate;
  readonly #known = new KnownAddresses();
  #dummyHash: Promise<string> | undefined;

  constructor(users: UserRepository, tokens: Tokens, throttles: SignInThrottles, gate: HashingGate) {
    this.#users = users;
    this.#tokens = tokens;
    this.#throttles = throttles;
    this.#gate = gate;
  }

  async signIn({ username, password, clientIp }: SignInAttempt): Promise<string> {
    const login = username.trim().toLowerCase();
    const { pair, address, account } = this.#throttles;
    const key = `${login}\n${clientIp}`;
    const retryAfter = Math.max(pair.retryAfterSeconds(key), address.retryAfterSeconds(clientIp));
    if (retryAfter > 0) throw new RateLimitedError(retryAfter, 'Too many failed sign-ins.');

    const suspicion = this.#known.has(key) ? 0 : 1 + account.failures(login) + address.failures(clientIp);
    const user = await this.#users.credentials(login);
    this.#dummyHash ??= hashPassword('not-a-password');
    const stored = user?.passwordHash ?? (await this.#dummyHash);
    const matches = await this.#gate.run(suspicion, () => verifyPassword(password, stored));
    if (!user || !matches || !user.activated) {
      pair.recordFailure(key);
      address.recordFailure(clientIp);
      account.recordFailure(login);
      throw new UnauthorizedError('Wrong username or password.');
    }
    pair.recordSuccess(key);
    this.#known.remember(key);
    return this.#tokens.issue({ login: user.login, authorities: user.authorities });
  }
}
