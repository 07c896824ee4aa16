import { DOCUMENT } from '@angular/common';
import { HttpClient } from '@angular/common/http';
import {
  afterNextRender,
  Component,
  computed,
  DestroyRef,
  type ElementRef,
  inject,
  input,
  type OnInit,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { ApiProblem, problemMessage } from '../api/problem';
import { Session } from '../auth/session';
import { type WizardAnswer, wizardUrl } from './config-api';
import {
  downloadName,
  evenWeights,
  type FaultInjectionForm,
  faultInjectionRequest,
  formProblem,
  type RequestTimeoutsForm,
  requestTimeoutsRequest,
  type TrafficShiftingForm,
  trafficShiftingRequest,
  type WizardName,
  type WizardTarget,
  weightsProblem,
  weightsTotal,
  wizards,
} from './wizard-request';

interface Outcome {
  readonly applied: boolean;
  readonly answer: WizardAnswer;
}

let panels = 0;

/**
 * One of Kiali's three wizards for a Service, as a form section: Preview asks the API for the
 * YAML, Apply applies it with the admin token (asking for the login first when none is held, or
 * again when the API refuses the one held) and offers what it applied for download.
 */
@Component({
  selector: 'mc-wizard-panel',
  templateUrl: './wizard-panel.html',
  styleUrl: './wizard-panel.scss',
})
export class WizardPanel implements OnInit {
  readonly wizard = input.required<WizardName>();
  readonly target = input.required<WizardTarget>();
  readonly subsets = input.required<readonly string[]>();
  /** After an apply: the page reads the configuration again. */
  readonly applied = output<void>();

  protected readonly id = `wizard-${++panels}`;
  protected readonly title = computed(() => wizards.find((w) => w.name === this.wizard())?.title ?? '');

  protected readonly shifting = signal<TrafficShiftingForm>({
    weights: {},
    mirror: { enabled: false, subset: '', percentage: 100 },
  });
  protected readonly faults = signal<FaultInjectionForm>({
    delay: { enabled: true, fixedDelay: '2s', percentage: 100 },
    abort: { enabled: false, httpStatus: 503, percentage: 100 },
  });
  protected readonly timeouts = signal<RequestTimeoutsForm>({
    timeout: { enabled: true, value: '3s' },
    retries: { enabled: true, attempts: 2, perTryTimeout: '1s', retryOn: '5xx,connect-failure' },
  });

  protected readonly total = computed(() => weightsTotal(this.shifting().weights));
  protected readonly weightsError = computed(() => weightsProblem(this.shifting().weights));
  protected readonly busy = signal<'Previewing' | 'Applying' | undefined>(undefined);
  protected readonly error = signal<string | undefined>(undefined);
  protected readonly outcome = signal<Outcome | undefined>(undefined);
  protected readonly downloadUrl = signal<string | undefined>(undefined);
  protected readonly copied = signal('');
  protected readonly fileName = computed(() => downloadName(this.wizard(), this.target()));

  private readonly http = inject(HttpClient);
  private readonly session = inject(Session);
  private readonly window = inject(DOCUMENT).defaultView;
  private readonly heading = viewChild.required<ElementRef<HTMLElement>>('heading');

  constructor() {
    // Opened by a button: the keyboard user lands on the form's heading.
    afterNextRender(() => this.heading().nativeElement.focus());
    inject(DestroyRef).onDestroy(() => this.revokeDownload());
  }

  /** The subsets offered when the wizard opens; a reload after an apply keeps what was typed. */
  ngOnInit(): void {
    const subsets = this.subsets();
    this.shifting.set({
      weights: evenWeights(subsets),
      mirror: { enabled: false, subset: subsets.at(-1) ?? '', percentage: 100 },
    });
  }

  protected number(event: Event): number {
    const value = (event.target as HTMLInputElement).value;
    return value.trim() === '' ? Number.NaN : Number(value);
  }

  protected text(event: Event): string {
    return (event.target as HTMLInputElement).value;
  }

  protected checked(event: Event): boolean {
    return (event.target as HTMLInputElement).checked;
  }

  protected setWeight(subset: string, event: Event): void {
    const weight = this.number(event);
    this.shifting.update((form) => ({ ...form, weights: { ...form.weights, [subset]: weight } }));
  }

  protected setMirror(change: Partial<TrafficShiftingForm['mirror']>): void {
    this.shifting.update((form) => ({ ...form, mirror: { ...form.mirror, ...change } }));
  }

  protected setDelay(change: Partial<FaultInjectionForm['delay']>): void {
    this.faults.update((form) => ({ ...form, delay: { ...form.delay, ...change } }));
  }

  protected setAbort(change: Partial<FaultInjectionForm['abort']>): void {
    this.faults.update((form) => ({ ...form, abort: { ...form.abort, ...change } }));
  }

  protected setTimeout(change: Partial<RequestTimeoutsForm['timeout']>): void {
    this.timeouts.update((form) => ({ ...form, timeout: { ...form.timeout, ...change } }));
  }

  protected setRetries(change: Partial<RequestTimeoutsForm['retries']>): void {
    this.timeouts.update((form) => ({ ...form, retries: { ...form.retries, ...change } }));
  }

  protected async preview(): Promise<void> {
    if (this.valid()) await this.send(false);
  }

  protected async apply(): Promise<void> {
    if (!this.valid()) return;
    if (this.session.token() === undefined && !(await this.askLogin())) return;
    await this.send(true);
  }

  protected async copy(): Promise<void> {
    const yaml = this.outcome()?.answer.yaml ?? '';
    try {
      await this.window?.navigator.clipboard.writeText(yaml);
      this.copied.set('Copied to the clipboard.');
    } catch {
      this.copied.set('The browser refused the clipboard: select the YAML and copy it.');
    }
  }

  private askLogin(
    reason = 'Applying a wizard changes the runtime’s configuration: it needs the admin role.',
  ) {
    return this.session.ask(reason);
  }

  private body(): object {
    const target = this.target();
    switch (this.wizard()) {
      case 'traffic-shifting':
        return trafficShiftingRequest(target, this.shifting());
      case 'fault-injection':
        return faultInjectionRequest(target, this.faults());
      case 'request-timeouts':
        return requestTimeoutsRequest(target, this.timeouts());
    }
  }

  private form() {
    const wizard = this.wizard();
    return wizard === 'traffic-shifting'
      ? this.shifting()
      : wizard === 'fault-injection'
        ? this.faults()
        : this.timeouts();
  }

  /** What the page can tell is wrong is said before anything is sent, or a login asked for. */
  private valid(): boolean {
    this.copied.set('');
    const problem = formProblem(this.wizard(), this.form());
    this.error.set(problem ? `Not sent: ${problem}` : undefined);
    return problem === undefined;
  }

  private async send(apply: boolean): Promise<void> {
    this.busy.set(apply ? 'Applying' : 'Previewing');
    try {
      // A refused token (expired, or not the admin role) asks for the login again, then retries.
      for (;;) {
        try {
          const answer = await firstValueFrom(
            this.http.post<WizardAnswer>(wizardUrl(this.wizard(), apply), this.body()),
          );
          this.show({ applied: apply, answer });
          if (apply) this.applied.emit();
          return;
        } catch (error) {
          const refused =
            apply && error instanceof ApiProblem && (error.status === 401 || error.status === 403);
          if (!refused) throw error;
          this.session.logout();
          if (!(await this.askLogin(error.message))) throw error;
        }
      }
    } catch (error) {
      this.error.set(`The wizard was refused: ${problemMessage(error)}`);
    } finally {
      this.busy.set(undefined);
    }
  }

  private show(outcome: Outcome): void {
    this.revokeDownload();
    this.outcome.set(outcome);
    if (outcome.applied && this.window)
      this.downloadUrl.set(
        this.window.URL.createObjectURL(new Blob([outcome.answer.yaml], { type: 'application/yaml' })),
      );
  }

  private revokeDownload(): void {
    const url = this.downloadUrl();
    if (url) this.window?.URL.revokeObjectURL(url);
    this.downloadUrl.set(undefined);
  }
}
