import { DatePipe, DOCUMENT } from '@angular/common';
import { HttpClient } from '@angular/common/http';
import {
  afterRenderEffect,
  Component,
  computed,
  type ElementRef,
  inject,
  input,
  linkedSignal,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { toObservable, toSignal } from '@angular/core/rxjs-interop';
import { RouterLink } from '@angular/router';
import {
  catchError,
  EMPTY,
  forkJoin,
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
import { CONSOLE_SETTINGS } from '../settings';
import type { Window } from './graph-api';
import { formatMs, formatPercent, formatRate, type GraphView } from './graph-view';
import { healthLabels } from './health';
import { MetricsChart } from './metrics-chart';
import {
  type LogLine,
  linesOf,
  type MetricsAnswer,
  type RoutingAnswer,
  type RoutingLine,
  routingLines,
  type Trace,
  tracesOf,
} from './panel-api';
import {
  metricsUrl,
  type PanelTarget,
  panelTarget,
  requestsUrl,
  routingUrl,
  type Selection,
} from './panel-target';
import { TraceWaterfall } from './trace-waterfall';
import { formatTraceMs } from './waterfall';

interface Urls {
  readonly key: string;
  readonly metrics: string | undefined;
  readonly logs: string | undefined;
  readonly traces: string | undefined;
  readonly routing: string | undefined;
}

interface PanelData {
  readonly key: string;
  readonly metrics: MetricsAnswer | undefined;
  readonly logs: readonly LogLine[] | undefined;
  readonly traces: readonly Trace[] | undefined;
  readonly routing: RoutingAnswer | undefined;
  /** One message per call that failed this time: "Metrics: …". */
  readonly errors: readonly string[];
  readonly updatedAt: Date | undefined;
}

const nothing: PanelData = {
  key: '',
  metrics: undefined,
  logs: undefined,
  traces: undefined,
  routing: undefined,
  errors: [],
  updatedAt: undefined,
};

/**
 * Kiali's side panel for the selected node or edge: its figures, its traffic over the page's
 * window, the routing that sends requests to it, and its last access-log lines and traces. Polled
 * with the graph's interval while the tab is visible; a failed call keeps its last answer on
 * screen. An element the graph no longer has keeps its last answers and says so.
 */
@Component({
  selector: 'mc-side-panel',
  imports: [DatePipe, MetricsChart, RouterLink, TraceWaterfall],
  templateUrl: './side-panel.html',
  styleUrl: './side-panel.scss',
  host: { '(document:keydown.escape)': 'closed.emit()' },
})
export class SidePanel {
  readonly view = input.required<GraphView>();
  readonly selection = input.required<Selection>();
  readonly window = input.required<Window>();
  /** The graph's refresh interval (0: only when asked) and its "Refresh now" count. */
  readonly everyMs = input.required<number>();
  readonly reloads = input(0);
  readonly closed = output<void>();

  protected readonly settings = inject(CONSOLE_SETTINGS);
  protected readonly healthLabels = healthLabels;
  protected readonly traceMs = formatTraceMs;
  private readonly heading = viewChild.required<ElementRef<HTMLElement>>('heading');

  private readonly found = computed(() => panelTarget(this.view(), this.selection()));
  /** The element as last found: kept when it leaves the graph, forgotten when another is selected. */
  protected readonly target = linkedSignal<
    { selection: Selection; found: PanelTarget | undefined },
    PanelTarget | undefined
  >({
    source: () => ({ selection: this.selection(), found: this.found() }),
    computation: ({ selection, found }, previous) =>
      found ??
      (previous?.value?.selection.id === selection.id && previous.value.selection.kind === selection.kind
        ? previous.value
        : undefined),
  });
  protected readonly missing = computed(() => this.found() === undefined);
  protected readonly expanded = signal<string | undefined>(undefined);

  private readonly urls = computed<Urls | undefined>(
    () => {
      const target = this.target();
      if (!target) return undefined;
      const namespace = this.settings.namespace;
      return {
        key: `${target.selection.kind}:${target.selection.id}`,
        metrics: target.metrics ? metricsUrl(namespace, target.metrics, this.window()) : undefined,
        logs: target.requests ? requestsUrl('logs', namespace, target.requests) : undefined,
        traces: target.requests ? requestsUrl('traces', namespace, target.requests) : undefined,
        routing: target.routing ? routingUrl(namespace, target.routing.service) : undefined,
      };
    },
    // A graph refresh makes a new target object: only other queries poll again.
    { equal: (a, b) => JSON.stringify(a) === JSON.stringify(b) },
  );

  protected readonly data = toSignal(this.poll(), { initialValue: nothing });

  protected readonly logLines = computed(() => {
    const requests = this.target()?.requests;
    const lines = this.data().logs;
    return requests && lines ? linesOf(lines, requests) : undefined;
  });

  protected readonly traceList = computed(() => {
    const requests = this.target()?.requests;
    const traces = this.data().traces;
    return requests && traces ? tracesOf(traces, requests) : undefined;
  });

  protected readonly routes = computed<RoutingLine[] | undefined>(() => {
    const of = this.target()?.routing;
    const answer = this.data().routing;
    if (!of || !answer) return undefined;
    return answer.services.flatMap((service) => routingLines(service, of));
  });

  constructor() {
    // Opening (or switching) moves focus to the panel's heading, so a screen reader reads it out.
    let focused = '';
    afterRenderEffect({
      read: () => {
        const key = `${this.selection().kind}:${this.selection().id}`;
        if (key === focused) return;
        focused = key;
        this.heading().nativeElement.focus();
      },
    });
  }

  protected toggle(id: string): void {
    this.expanded.update((current) => (current === id ? undefined : id));
  }

  protected rate(value: number, protocol: 'http' | 'tcp' | undefined): string {
    return protocol ? formatRate(value, protocol) : '—';
  }

  protected percent(value: number | undefined): string {
    return value === undefined ? '—' : formatPercent(value);
  }

  protected ms(value: number | undefined): string {
    return value === undefined ? '—' : formatMs(value);
  }

  private poll(): Observable<PanelData> {
    const http = inject(HttpClient);
    const document = inject(DOCUMENT);
    const visible = fromEvent(document, 'visibilitychange').pipe(
      startWith(undefined),
      map(() => document.visibilityState === 'visible'),
    );
    const query = toObservable(
      computed(() => ({ urls: this.urls(), everyMs: this.everyMs(), reload: this.reloads() })),
    );
    const call = <T>(label: string, url: string | undefined) =>
      url === undefined
        ? of({ value: undefined, error: undefined })
        : http.get<T>(url).pipe(
            map((value) => ({ value, error: undefined })),
            catchError((error: unknown) =>
              of({ value: undefined, error: `${label}: ${problemMessage(error)}` }),
            ),
          );
    return query.pipe(
      switchMap(({ urls, everyMs }) => {
        if (!urls) return of(nothing);
        return visible.pipe(
          switchMap((shown) => (!shown ? EMPTY : everyMs > 0 ? timer(0, everyMs) : of(0))),
          switchMap(() =>
            forkJoin({
              metrics: call<MetricsAnswer>('Traffic', urls.metrics),
              logs: call<{ lines: LogLine[] }>('Access log', urls.logs),
              traces: call<{ traces: Trace[] }>('Traces', urls.traces),
              routing: call<RoutingAnswer>('Routing', urls.routing),
            }),
          ),
          map(
            (answers): PanelData => ({
              key: urls.key,
              metrics: answers.metrics.value,
              logs: answers.logs.value?.lines,
              traces: answers.traces.value?.traces,
              routing: answers.routing.value,
              errors: [answers.metrics, answers.logs, answers.traces, answers.routing]
                .map((answer) => answer.error)
                .filter((error): error is string => error !== undefined),
              updatedAt: new Date(),
            }),
          ),
        );
      }),
      // Another element starts afresh; the same one keeps what a failed call did not answer.
      scan(
        (last: PanelData, next: PanelData): PanelData =>
          next.key !== last.key
            ? next
            : {
                key: next.key,
                metrics: next.metrics ?? last.metrics,
                logs: next.logs ?? last.logs,
                traces: next.traces ?? last.traces,
                routing: next.routing ?? last.routing,
                errors: next.errors,
                updatedAt: next.updatedAt ?? last.updatedAt,
              },
        nothing,
      ),
    );
  }
}
