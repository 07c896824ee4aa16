import { HttpErrorResponse, type HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { tap } from 'rxjs';
import { Session } from './session';
import { isConsoleApi } from './token';

/**
 * The held token on the console's own API calls (an exposed console needs it on every call). A
 * 401 means the token expired or the app's keys changed, so it is dropped; and a page that only
 * reads (a console bound beyond localhost answers nothing without the login) opens the login,
 * once: its next poll reads with the token.
 */
export const authInterceptor: HttpInterceptorFn = (req, next) => {
  if (!isConsoleApi(req.url) || req.url === '/api/login') return next(req);
  const session = inject(Session);
  const token = session.token();
  const sent = token === undefined ? req : req.clone({ setHeaders: { Authorization: `Bearer ${token}` } });
  return next(sent).pipe(
    tap({
      error: (error: unknown) => {
        if (!(error instanceof HttpErrorResponse) || error.status !== 401) return;
        if (token !== undefined) session.logout();
        if (req.method === 'GET' && session.prompt() === undefined && !session.declined())
          void session.ask('This console is open beyond localhost: reading it needs the admin login.');
      },
    }),
  );
};
