import { DOCUMENT } from '@angular/common';
import { HttpClient } from '@angular/common/http';
import { inject } from '@angular/core';
import {
  catchError,
  EMPTY,
  fromEvent,
  map,
  type Observable,
  of,
  scan,
  startWith,
  switchMap,
  timer,
} from 'rxjs';
import { problemMessage } from '../api/problem';

export interface ServiceMetrics {
  readonly name: string;
  readonly health: 'UP' | 'DOWN' | 'UNKNOWN';
  readonly requestsTotal: number;
  /** Requests per second between front's last two scrapes. */
  readonly requestRate: number;
  /** Share of failed answers, 0..1. */
  readonly errorRate: number;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly sampledAt: string;
}

/** The last figures received, and why the latest poll failed, if it did. */
export interface MetricsState {
  readonly services: readonly ServiceMetrics[] | undefined;
  readonly error: string | undefined;
}

const pollIntervalMs = 5000;

/**
 * GET /api/metrics now and every 5 s while the tab is visible: a hidden tab stops polling and polls
 * again at once when shown. A failed poll keeps the last figures on screen. Needs an injection context.
 */
export function pollMetrics(): Observable<MetricsState> {
  const http = inject(HttpClient);
  const document = inject(DOCUMENT);
  return fromEvent(document, 'visibilitychange').pipe(
    startWith(undefined),
    map(() => document.visibilityState === 'visible'),
    switchMap((visible) => (visible ? timer(0, pollIntervalMs) : EMPTY)),
    switchMap(() =>
      http.get<{ services: ServiceMetrics[] }>('/api/metrics').pipe(
        map(({ services }) => ({ services, error: undefined })),
        catchError((error: unknown) => of({ services: undefined, error: problemMessage(error) })),
      ),
    ),
    scan(
      (last: MetricsState, poll: MetricsState) => ({
        services: poll.services ?? last.services,
        error: poll.error,
      }),
      { services: undefined, error: undefined },
    ),
  );
}
