import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { type ApplicationConfig, provideBrowserGlobalErrorListeners } from '@angular/core';
import { MAT_FORM_FIELD_DEFAULT_OPTIONS } from '@angular/material/form-field';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { problemInterceptor } from './api/problem';
import { routes } from './app.routes';
import { authInterceptor } from './auth/auth-interceptor';
import { servedByInterceptor } from './shell/served-by';

// Zoneless change detection is Angular's default: no zone.js is loaded.
export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideRouter(routes, withComponentInputBinding()),
    // Responses pass the interceptors in reverse order: servedBy reads the raw headers,
    // problem turns errors into ApiProblem, and auth reacts to an ApiProblem's 401.
    provideHttpClient(withInterceptors([authInterceptor, problemInterceptor, servedByInterceptor])),
    { provide: MAT_FORM_FIELD_DEFAULT_OPTIONS, useValue: { appearance: 'outline' } },
  ],
};
