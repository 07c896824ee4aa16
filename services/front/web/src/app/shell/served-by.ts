import { HttpErrorResponse, type HttpInterceptorFn, HttpResponse } from '@angular/common/http';
import { computed, Injectable, inject, signal } from '@angular/core';
import { tap } from 'rxjs';

/** Which back instance (`X-Served-By`, e.g. back-v1) answered last: shows the mesh's traffic split. */
@Injectable({ providedIn: 'root' })
export class ServedBy {
  readonly last = signal<string | undefined>(undefined);
  /** The number of that version (`back-v2` → 2); undefined until back has answered. */
  readonly version = computed(() => versionOf(this.last()));
}

export function versionOf(servedBy: string | undefined): number | undefined {
  const match = /-v(\d+)$/.exec(servedBy ?? '');
  return match ? Number(match[1]) : undefined;
}

export const servedByInterceptor: HttpInterceptorFn = (req, next) => {
  if (!req.url.startsWith('/back/')) {
    return next(req);
  }
  const servedBy = inject(ServedBy);
  const record = (response: HttpResponse<unknown> | HttpErrorResponse) => {
    const name = response.headers.get('X-Served-By');
    if (name !== null) {
      servedBy.last.set(name);
    }
  };
  return next(req).pipe(
    tap({
      next: (event) => {
        if (event instanceof HttpResponse) {
          record(event);
        }
      },
      error: (error: unknown) => {
        if (error instanceof HttpErrorResponse) {
          record(error);
        }
      },
    }),
  );
};
