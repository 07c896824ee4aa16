import { HttpClient } from '@angular/common/http';
import { Component, computed, inject, input, linkedSignal, signal } from '@angular/core';
import { toObservable, toSignal } from '@angular/core/rxjs-interop';
import { Router } from '@angular/router';
import { catchError, map, of, startWith, switchMap } from 'rxjs';
import { problemMessage } from '../api/problem';
import { CONSOLE_SETTINGS } from '../settings';
import { type ConfigObject, isExplanation } from './explain-api';
import {
  checkForm,
  type ExplainBody,
  type ExplainForm,
  formFromQuery,
  methods,
  queryOfForm,
} from './explain-form';
import { explainSteps, sourcesOf } from './explain-steps';

type ExplainState =
  | { readonly status: 'idle' }
  | { readonly status: 'loading'; readonly request: ExplainBody }
  | { readonly status: 'done'; readonly request: ExplainBody; readonly explanation: unknown }
  | { readonly status: 'failed'; readonly problem: string };

/**
 * Explain (`mesh explain` as a page): the form lives in the URL's query
 * (`?url=…&method=…&h=name:value&from=…`), so a trace's link or a shared link explains at once.
 */
@Component({
  selector: 'mc-explain-page',
  templateUrl: './explain-page.html',
  styleUrl: './explain-page.scss',
})
export class ExplainPage {
  /** Query parameters (the router binds them); a repeated `h` is a list. */
  readonly url = input<string>();
  readonly method = input<string>();
  readonly h = input<string | string[]>();
  readonly from = input<string>();

  protected readonly settings = inject(CONSOLE_SETTINGS);
  protected readonly placeholder = `${this.settings.ingressUrl ?? 'http://localhost:8080'}/back/tracks`;

  private readonly http = inject(HttpClient);
  private readonly router = inject(Router);
  /** Bumped by a submit that leaves the query as it is: the same request is asked again. */
  private readonly runs = signal(0);

  private readonly asked = computed(() =>
    formFromQuery(
      { url: this.url(), method: this.method(), h: this.h(), from: this.from() },
      this.settings.ingressUrl,
    ),
  );

  /** What the fields show: the query's request, edited until submitted. */
  protected readonly form = linkedSignal<ExplainForm>(
    () =>
      this.asked() ?? {
        url: this.settings.ingressUrl ? `${this.settings.ingressUrl.replace(/\/+$/, '')}/` : '',
        method: 'GET',
        headers: [],
        from: '',
      },
  );

  /** A link's unknown method stays on show (and refused) until another is picked. */
  protected readonly methodChoices = computed(() => {
    const method = this.form().method;
    return (methods as readonly string[]).includes(method) ? methods : [...methods, method];
  });

  /** The namespace's objects: where each object an explanation names was written, and the workloads. */
  private readonly config = toSignal(
    this.http
      .get<{ objects: ConfigObject[] }>(
        `/api/istio/config?${new URLSearchParams({ namespaces: this.settings.namespace })}`,
      )
      .pipe(
        map((answer) => answer.objects),
        catchError(() => of([] as ConfigObject[])),
      ),
    { initialValue: [] as ConfigObject[] },
  );
  protected readonly workloads = computed(() =>
    this.config()
      .filter((object) => object.kind === 'Deployment')
      .map((object) => object.name),
  );

  protected readonly state = toSignal(this.explanations(), {
    initialValue: { status: 'idle' } as ExplainState,
  });

  protected readonly statusText = computed(() => {
    const state = this.state();
    if (state.status === 'loading') return 'Asking the runtime…';
    if (state.status !== 'done') return '';
    const { method, url, from } = state.request;
    return `Explained ${method} ${url}${from ? ` from ${from}` : ''}`;
  });
  protected readonly problem = computed(() => {
    const state = this.state();
    return state.status === 'failed' ? state.problem : undefined;
  });
  protected readonly explanation = computed(() => {
    const state = this.state();
    return state.status === 'done' ? state.explanation : undefined;
  });
  protected readonly steps = computed(() => {
    const explanation = this.explanation();
    return isExplanation(explanation) ? explainSteps(explanation, sourcesOf(this.config())) : [];
  });
  protected readonly raw = computed(() => JSON.stringify(this.explanation(), null, 2));

  protected edit(field: 'url' | 'method' | 'from', event: Event): void {
    const value = (event.target as HTMLInputElement | HTMLSelectElement).value;
    this.form.update((form) => ({ ...form, [field]: value }));
  }

  protected editHeader(index: number, field: 'name' | 'value', event: Event): void {
    const value = (event.target as HTMLInputElement).value;
    this.form.update((form) => ({
      ...form,
      headers: form.headers.map((row, i) => (i === index ? { ...row, [field]: value } : row)),
    }));
  }

  protected addHeader(): void {
    this.form.update((form) => ({ ...form, headers: [...form.headers, { name: '', value: '' }] }));
  }

  protected removeHeader(index: number): void {
    this.form.update((form) => ({ ...form, headers: form.headers.filter((_, i) => i !== index) }));
  }

  protected submit(event: Event): void {
    event.preventDefault();
    const query = queryOfForm(this.form());
    const asked = this.asked();
    if (asked && JSON.stringify(queryOfForm(asked)) === JSON.stringify(query)) {
      this.runs.update((n) => n + 1);
      return;
    }
    void this.router.navigate([], { queryParams: query });
  }

  /** Asks the runtime for the query's request, again on every submit; a wrong field never leaves the page. */
  private explanations() {
    const asked = toObservable(computed(() => ({ form: this.asked(), run: this.runs() })));
    return asked.pipe(
      switchMap(({ form }) => {
        if (!form) return of<ExplainState>({ status: 'idle' });
        const checked = checkForm(form);
        if ('problem' in checked) return of<ExplainState>({ status: 'failed', problem: checked.problem });
        const request = checked.body;
        return this.http.post<{ explanation: unknown }>('/api/explain', request).pipe(
          map((answer): ExplainState => ({ status: 'done', request, explanation: answer.explanation })),
          catchError((error: unknown) =>
            of<ExplainState>({ status: 'failed', problem: problemMessage(error) }),
          ),
          startWith<ExplainState>({ status: 'loading', request }),
        );
      }),
    );
  }
}
