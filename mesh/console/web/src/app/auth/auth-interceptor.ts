import { HttpErrorResponse, type HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { tap } from 'rxjs';
import { Session } from './session';
import { isConsoleApi } from './token';

/**
 * The held token on the console's own API calls (an exposed console needs it on every call); a
 * 401 to one means it expired or the app's keys changed, so it is dropped and the login asked again.
 */
export const authInterceptor: HttpInterceptorFn = (req, next) => {
  const session = inject(Session);
  const token = session.token();
  if (token === undefined || !isConsoleApi(req.url)) return next(req);
  return next(req.clone({ setHeaders: { Authorization: `Bearer ${token}` } })).pipe(
    tap({
      error: (error: unknown) => {
        if (error instanceof HttpErrorResponse && error.status === 401 && req.url !== '/api/login')
          session.logout();
      },
    }),
  );
};
