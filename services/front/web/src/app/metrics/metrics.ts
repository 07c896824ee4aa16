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
  /** The mesh (every replica), front's own counters, or a Service's endpoint; null until read once. */
  readonly source: 'mesh' | 'self' | 'endpoint' | null;
  readonly health: 'UP' | 'DOWN' | 'UNKNOWN';
  readonly requestsTotal: number;
  /** When the total last fell: a restart, or a replica gone. */
  readonly resetAt: string | null;
  /** The seconds the rates cover: the window, or less until it has filled. */
  readonly windowSeconds: number;
  readonly requestRate: number;
  /** Shares 0..1 of the window's answers that were 4xx and 5xx. */
  readonly clientErrorRate: number;
  readonly errorRate: number;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly replicasSeen: number | null;
  readonly sampledAt: string;
}

export interface MetricsAnswer {
  readonly windowSeconds: number;
  readonly consoleUrl: string;
  readonly services: readonly ServiceMetrics[];
}

/** The last figures received, and why the latest poll failed, if it did. */
export interface MetricsState {
  readonly answer: MetricsAnswer | undefined;
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
      http.get<MetricsAnswer>('/api/metrics').pipe(
        map((answer): MetricsState => ({ answer, error: undefined })),
        catchError((error: unknown) => of({ answer: undefined, error: problemMessage(error) })),
      ),
    ),
    scan(
      (last: MetricsState, poll: MetricsState) => ({
        answer: poll.answer ?? last.answer,
        error: poll.error,
      }),
      { answer: undefined, error: undefined },
    ),
  );
}
