import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { type ApplicationConfig, provideBrowserGlobalErrorListeners } from '@angular/core';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { problemInterceptor } from './api/problem';
import { routes } from './app.routes';
import { authInterceptor } from './auth/auth-interceptor';

// Zoneless change detection is Angular's default: no zone.js is loaded.
export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideRouter(routes, withComponentInputBinding()),
    // The token goes on inside problemInterceptor: a 401 is seen as the HTTP answer it is.
    provideHttpClient(withInterceptors([problemInterceptor, authInterceptor])),
  ],
};
