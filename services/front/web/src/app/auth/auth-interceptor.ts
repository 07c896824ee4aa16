import type { HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { ApiProblem } from '../api/problem';
import { Session } from './session';

const authenticateUrl = '/api/authenticate';

function isApi(url: string): boolean {
  return url.startsWith('/api/') || url.startsWith('/back/api/');
}

/**
 * Sends the token with every API call; a 401 means the token expired or was revoked, so the user
 * signs in again and comes back. The 401 of a failed sign-in is the login page's to show.
 */
export const authInterceptor: HttpInterceptorFn = (req, next) => {
  const session = inject(Session);
  const router = inject(Router);
  const token = session.token();
  const authorized =
    token !== null && isApi(req.url) && req.url !== authenticateUrl
      ? req.clone({ setHeaders: { Authorization: `Bearer ${token}` } })
      : req;
  return next(authorized).pipe(
    catchError((error: unknown) => {
      if (error instanceof ApiProblem && error.status === 401 && req.url !== authenticateUrl) {
        // Mid-navigation (a guard loading the account), come back to where that navigation was going.
        const navigation = router.currentNavigation();
        const url = navigation === null ? router.url : router.serializeUrl(navigation.extractedUrl);
        session.logout(url.startsWith('/login') ? undefined : url);
      }
      return throwError(() => error);
    }),
  );
};
