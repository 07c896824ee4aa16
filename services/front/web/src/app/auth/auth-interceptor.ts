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
        session.logout(router.url.startsWith('/login') ? undefined : router.url);
      }
      return throwError(() => error);
    }),
  );
};
