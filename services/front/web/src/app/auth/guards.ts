import { inject } from '@angular/core';
import { type CanActivateFn, Router } from '@angular/router';
import { Session } from './session';

/** Lets a signed-in user through, loading the account first after a page reload. */
export const authGuard: CanActivateFn = async (_route, state) => {
  const session = inject(Session);
  const router = inject(Router);
  const toLogin = router.createUrlTree(['/login'], { queryParams: { returnUrl: state.url } });
  if (session.token() === null) {
    return toLogin;
  }
  if (session.account() !== undefined) {
    return true;
  }
  try {
    await session.loadAccount();
    return true;
  } catch {
    // An expired token: the auth interceptor has already sent the user to the login page.
    return toLogin;
  }
};

/** User administration is for ROLE_ADMIN; others see the access-denied page. Runs after authGuard. */
export const adminGuard: CanActivateFn = () =>
  inject(Session).isAdmin() || inject(Router).createUrlTree(['/access-denied']);
