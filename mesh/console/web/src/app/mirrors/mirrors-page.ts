import { DatePipe, DOCUMENT } from '@angular/common';
import { HttpClient } from '@angular/common/http';
import { Component, computed, inject, signal } from '@angular/core';
import { toObservable, toSignal } from '@angular/core/rxjs-interop';
import { catchError, EMPTY, fromEvent, map, of, scan, startWith, switchMap, timer } from 'rxjs';
import { problemMessage } from '../api/problem';
import { CONSOLE_SETTINGS } from '../settings';
import { type MirrorRow, mirrorRows } from './mirror-verdicts';
import { mirrorsQuery, type RouteComparison } from './mirrors-api';

interface MirrorsState {
  readonly rows: readonly MirrorRow[] | undefined;
  readonly error: string | undefined;
  readonly updatedAt: Date | undefined;
}

const everyMs = 10_000;

/**
 * Mirror comparison: per mirrored route, how often the shadow answered otherwise than the primary.
 * Polled every 10 s while the tab is visible; a failed poll keeps the last table on screen.
 */
@Component({
  selector: 'mc-mirrors-page',
  imports: [DatePipe],
  templateUrl: './mirrors-page.html',
  styleUrl: './mirrors-page.scss',
})
export class MirrorsPage {
  protected readonly settings = inject(CONSOLE_SETTINGS);
  private readonly reloads = signal(0);

  protected readonly state = toSignal(this.poll(), {
    initialValue: { rows: undefined, error: undefined, updatedAt: undefined } as MirrorsState,
  });
  protected readonly empty = computed(() => this.state().rows?.length === 0);

  protected reload(): void {
    this.reloads.update((n) => n + 1);
  }

  private poll() {
    const http = inject(HttpClient);
    const document = inject(DOCUMENT);
    const url = mirrorsQuery(this.settings.namespace);
    const visible = fromEvent(document, 'visibilitychange').pipe(
      startWith(undefined),
      map(() => document.visibilityState === 'visible'),
    );
    return toObservable(this.reloads).pipe(
      switchMap(() => visible),
      switchMap((shown) => (shown ? timer(0, everyMs) : EMPTY)),
      switchMap(() =>
        http.get<{ routes: RouteComparison[] }>(url).pipe(
          map((answer) => ({ rows: mirrorRows(answer.routes), error: undefined, updatedAt: new Date() })),
          catchError((error: unknown) =>
            of({ rows: undefined, error: problemMessage(error), updatedAt: undefined }),
          ),
        ),
      ),
      scan(
        (last: MirrorsState, next: MirrorsState): MirrorsState => ({
          rows: next.rows ?? last.rows,
          error: next.error,
          updatedAt: next.updatedAt ?? last.updatedAt,
        }),
        { rows: undefined, error: undefined, updatedAt: undefined },
      ),
    );
  }
}
