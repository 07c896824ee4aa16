import { ForbiddenError, HttpError, UnauthorizedError } from '@music/service-kit';
import type { Principal } from '../auth/principal.ts';
import type { UserRepository } from './repository.ts';
import type { User } from './schema.ts';

export class TokenRevokedError extends HttpError {
  constructor() {
    super(
      401,
      'TOKEN_REVOKED',
      'Unauthorized',
      'The token was issued before a change to the account (password, activation or authorities); sign in again.',
      { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } },
    );
  }
}

/**
 * The caller's account as it is now, for routes that read it anyway; with an authority, one it holds
 * now (403 otherwise, which says more than a revoked token would). `iat` has whole seconds, so a
 * token from the second of the change still counts: refusing it would also refuse the sign-in that
 * follows a password change at once; a token from any earlier second is refused.
 */
export async function currentAccount(
  users: UserRepository,
  principal: Principal,
  authority?: string,
): Promise<User> {
  const account = await users.current(principal.login);
  if (!account?.user.activated)
    throw new UnauthorizedError('The account no longer exists or is deactivated.');
  if (authority !== undefined && !account.user.authorities.includes(authority)) {
    throw new ForbiddenError(`This needs ${authority}.`);
  }
  const { tokensValidAfter } = account;
  if (tokensValidAfter !== null && (principal.issuedAt ?? Number.NEGATIVE_INFINITY) < tokensValidAfter) {
    throw new TokenRevokedError();
  }
  return account.user;
}
