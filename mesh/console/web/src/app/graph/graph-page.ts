import { DatePipe, DOCUMENT } from '@angular/common';
import { HttpClient } from '@angular/common/http';
import { Component, computed, DestroyRef, inject, input, signal } from '@angular/core';
import { toObservable, toSignal } from '@angular/core/rxjs-interop';
import { Router } from '@angular/router';
import { catchError, EMPTY, fromEvent, map, of, scan, startWith, switchMap, timer } from 'rxjs';
import { problemMessage } from '../api/problem';
import { CONSOLE_SETTINGS } from '../settings';
import {
  type EdgeLabelMode,
  edgeLabelModes,
  type GraphAnswer,
  type GraphType,
  graphQuery,
  graphTypes,
  type RefreshInterval,
  refreshIntervals,
  type Window,
  windows,
} from './graph-api';
import { GraphCanvas } from './graph-canvas';
import { healthColors } from './graph-style';
import { GraphTable } from './graph-table';
import { type GraphView, graphView } from './graph-view';
import type { Selection } from './panel-target';
import { SidePanel } from './side-panel';

interface GraphState {
  readonly view: GraphView | undefined;
  readonly error: string | undefined;
  readonly updatedAt: Date | undefined;
}

const defaults = { graphType: 'versionedApp', duration: '1m', refresh: '10s', edgeLabels: 'all' } as const;

function oneOf<T extends string>(value: string | undefined, values: readonly T[], fallback: T): T {
  return values.includes(value as T) ? (value as T) : fallback;
}

/**
 * The traffic graph (Kiali's graph page): the graph type, window and refresh interval live in the
 * URL's query (`?graphType=workload&duration=5m&refresh=30s`), so a view can be bookmarked, and so
 * does the node or edge whose side panel is open (`?node=<id>` or `?edge=<id>`). Polled while the
 * tab is visible; a failed poll keeps the last graph on screen.
 */
@Component({
  selector: 'mc-graph-page',
  imports: [DatePipe, GraphCanvas, GraphTable, SidePanel],
  templateUrl: './graph-page.html',
  styleUrl: './graph-page.scss',
})
export class GraphPage {
  /** Query parameters (the router binds them). */
  readonly graphType = input<string>();
  readonly duration = input<string>();
  readonly refresh = input<string>();
  readonly edgeLabels = input<string>();
  readonly node = input<string>();
  readonly edge = input<string>();

  protected readonly settings = inject(CONSOLE_SETTINGS);
  protected readonly graphTypes = graphTypes;
  protected readonly windows = windows;
  protected readonly refreshIntervals = refreshIntervals;
  protected readonly edgeLabelModes = edgeLabelModes;
  protected readonly healthColors = healthColors;

  protected readonly type = computed<GraphType>(() =>
    oneOf(
      this.graphType(),
      graphTypes.map((t) => t.value),
      defaults.graphType,
    ),
  );
  protected readonly window = computed<Window>(() => oneOf(this.duration(), windows, defaults.duration));
  protected readonly labels = computed<EdgeLabelMode>(() =>
    oneOf(
      this.edgeLabels(),
      edgeLabelModes.map((m) => m.value),
      defaults.edgeLabels,
    ),
  );
  protected readonly interval = computed<RefreshInterval>(() =>
    oneOf(
      this.refresh(),
      refreshIntervals.map((r) => r.value),
      defaults.refresh,
    ),
  );

  protected readonly selection = computed<Selection | undefined>(() => {
    const edge = this.edge();
    const node = this.node();
    if (edge) return { kind: 'edge', id: edge };
    return node ? { kind: 'node', id: node } : undefined;
  });
  protected readonly everyMs = computed(
    () => refreshIntervals.find((r) => r.value === this.interval())?.ms ?? 0,
  );

  private readonly router = inject(Router);
  private readonly document = inject(DOCUMENT);
  private readonly reloads = signal(0);
  protected readonly animationWanted = signal(true);
  protected readonly reducedMotion = signal(false);
  protected readonly animate = computed(() => this.animationWanted() && !this.reducedMotion());

  protected readonly state = toSignal(this.poll(), {
    initialValue: { view: undefined, error: undefined, updatedAt: undefined } as GraphState,
  });

  /** "the last 1m", or "the last 12 s" while the console has not yet seen a whole window. */
  protected readonly over = computed(() => {
    const view = this.state().view;
    if (view && view.measuredSeconds < view.windowSeconds)
      return `the last ${Math.round(view.measuredSeconds)} s`;
    return `the last ${this.window()}`;
  });

  protected readonly empty = computed(() => {
    const view = this.state().view;
    return view !== undefined && view.edges.length === 0;
  });

  constructor() {
    const media = inject(DOCUMENT).defaultView?.matchMedia?.('(prefers-reduced-motion: reduce)');
    if (media) {
      this.reducedMotion.set(media.matches);
      const listener = (event: MediaQueryListEvent) => this.reducedMotion.set(event.matches);
      media.addEventListener('change', listener);
      inject(DestroyRef).onDestroy(() => media.removeEventListener('change', listener));
    }
  }

  protected choose(name: 'graphType' | 'duration' | 'refresh' | 'edgeLabels', event: Event): void {
    const value = (event.target as HTMLSelectElement).value;
    void this.router.navigate([], {
      queryParams: { [name]: value === defaults[name] ? null : value },
      queryParamsHandling: 'merge',
      replaceUrl: true,
    });
  }

  protected open(selection: Selection): void {
    void this.router.navigate([], {
      queryParams: {
        node: selection.kind === 'node' ? selection.id : null,
        edge: selection.kind === 'edge' ? selection.id : null,
      },
      queryParamsHandling: 'merge',
    });
  }

  /** Closes the panel; focus goes back to the element's Details button, or to the page's heading. */
  protected close(): void {
    const selection = this.selection();
    void this.router
      .navigate([], { queryParams: { node: null, edge: null }, queryParamsHandling: 'merge' })
      .then(() => {
        const button = selection
          ? this.document.querySelector<HTMLElement>(
              `[data-details="${selection.kind}:${CSS.escape(selection.id)}"]`,
            )
          : null;
        (button ?? this.document.querySelector<HTMLElement>('mc-graph-page h1'))?.focus();
      });
  }

  protected reload(): void {
    this.reloads.update((n) => n + 1);
  }

  protected toggleAnimation(event: Event): void {
    this.animationWanted.set((event.target as HTMLInputElement).checked);
  }

  /** Polls the graph for the current query; at once when the query changes or the tab is shown again. */
  private poll() {
    const http = inject(HttpClient);
    const document = inject(DOCUMENT);
    const visible = fromEvent(document, 'visibilitychange').pipe(
      startWith(undefined),
      map(() => document.visibilityState === 'visible'),
    );
    const query = toObservable(
      computed(() => ({
        url: graphQuery(this.settings.namespace, this.type(), this.window()),
        everyMs: this.everyMs(),
        reload: this.reloads(),
      })),
    );
    return query.pipe(
      switchMap((q) =>
        visible.pipe(
          switchMap((shown) => (!shown ? EMPTY : q.everyMs > 0 ? timer(0, q.everyMs) : of(0))),
          switchMap(() =>
            http.get<GraphAnswer>(q.url).pipe(
              map((answer) => ({ view: graphView(answer), error: undefined, updatedAt: new Date() })),
              catchError((error: unknown) =>
                of({ view: undefined, error: problemMessage(error), updatedAt: undefined }),
              ),
            ),
          ),
        ),
      ),
      scan(
        (last: GraphState, next: GraphState): GraphState => ({
          view: next.view ?? last.view,
          error: next.error,
          updatedAt: next.updatedAt ?? last.updatedAt,
        }),
        { view: undefined, error: undefined, updatedAt: undefined },
      ),
    );
  }
}
