import { DOCUMENT } from '@angular/common';
import { HttpClient } from '@angular/common/http';
import { afterNextRender, Component, computed, Injector, inject, input, signal } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { ApiProblem, problemMessage } from '../api/problem';
import { Session } from '../auth/session';
import { CONSOLE_SETTINGS } from '../settings';
import { type ConfigAnswer, type ConfigObject, configQuery } from './config-api';
import { ConfigObjectCard } from './config-object';
import { findingsSummary, groupObjects, kinds, objectId } from './config-view';

/**
 * Istio config (Kiali's Istio config list): the objects the runtime holds, grouped by kind, each
 * with its analyze findings, YAML and wizards. The filters live in the URL (`?kind=VirtualService
 * &name=back-gw-virtualservice`): an object named exactly is opened and scrolled to.
 */
@Component({
  selector: 'mc-config-page',
  imports: [ConfigObjectCard, RouterLink],
  templateUrl: './config-page.html',
  styleUrl: './config-page.scss',
})
export class ConfigPage {
  /** Query parameters (the router binds them). */
  readonly kind = input<string>();
  readonly name = input<string>();

  protected readonly settings = inject(CONSOLE_SETTINGS);
  protected readonly kinds = kinds;
  protected readonly objects = signal<readonly ConfigObject[] | undefined>(undefined);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | undefined>(undefined);
  protected readonly updatedAt = signal<Date | undefined>(undefined);

  protected readonly groups = computed(() =>
    groupObjects(this.objects() ?? [], { kind: this.kind(), name: this.name() }),
  );
  protected readonly summary = computed(() => findingsSummary(this.objects() ?? []));
  protected readonly shown = computed(() => this.groups().reduce((n, group) => n + group.objects.length, 0));

  private readonly http = inject(HttpClient);
  private readonly router = inject(Router);
  private readonly session = inject(Session);
  private readonly document = inject(DOCUMENT);
  private readonly injector = inject(Injector);
  #scrolledTo: string | undefined;

  constructor() {
    this.load();
  }

  protected isTarget(object: ConfigObject): boolean {
    return object.kind === this.kind() && object.name === this.name();
  }

  protected idOf = objectId;

  protected filter(name: 'kind' | 'name', event: Event): void {
    const value = (event.target as HTMLInputElement | HTMLSelectElement).value;
    void this.router.navigate([], {
      queryParams: { [name]: value === '' ? null : value },
      queryParamsHandling: 'merge',
      replaceUrl: true,
    });
  }

  protected load(): void {
    this.loading.set(true);
    this.http.get<ConfigAnswer>(configQuery(this.settings.namespace)).subscribe({
      next: (answer) => {
        this.objects.set(answer.objects);
        this.error.set(undefined);
        this.updatedAt.set(new Date());
        this.loading.set(false);
        this.scrollToTarget();
      },
      error: (error: unknown) => {
        this.loading.set(false);
        this.error.set(problemMessage(error));
        // A console bound beyond localhost answers nothing without the admin token.
        if (error instanceof ApiProblem && error.status === 401)
          void this.session.ask(error.message).then((loggedIn) => loggedIn && this.load());
      },
    });
  }

  /** Once per URL target, after the objects are drawn: reloads do not pull the page back. */
  private scrollToTarget(): void {
    const target = this.objects()?.find((object) => this.isTarget(object));
    if (!target || this.#scrolledTo === objectId(target)) return;
    const id = objectId(target);
    this.#scrolledTo = id;
    afterNextRender(
      () => {
        const element = this.document.getElementById(id);
        element?.scrollIntoView({ block: 'start' });
        this.document.getElementById(`${id}-name`)?.focus({ preventScroll: true });
      },
      { injector: this.injector },
    );
  }
}
