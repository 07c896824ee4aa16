import { Component, type ElementRef, effect, inject, signal, viewChild } from '@angular/core';
import { problemMessage } from '../api/problem';
import { Session } from './session';

/** The app's own login, in a modal dialog opened whenever the session asks for it. */
@Component({
  selector: 'mc-login-dialog',
  styleUrl: './login-dialog.scss',
  template: `
    <dialog #dialog aria-labelledby="login-title" (cancel)="cancel($event)">
      <form (submit)="submit($event)">
        <h2 id="login-title">Log in with the app's admin account</h2>
        @if (session.prompt(); as reason) {
          <p class="reason">{{ reason }}</p>
        }
        <label>
          Username
          <input name="username" autocomplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        @if (error(); as message) {
          <p class="error" role="alert">The login failed: {{ message }}</p>
        }
        <div class="actions">
          <button type="submit" [disabled]="busy()">Log in</button>
          <button type="button" (click)="cancel()">Cancel</button>
        </div>
      </form>
    </dialog>
  `,
})
export class LoginDialog {
  protected readonly session = inject(Session);
  protected readonly error = signal<string | undefined>(undefined);
  protected readonly busy = signal(false);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');

  constructor() {
    effect(() => {
      const dialog = this.dialog().nativeElement;
      const asked = this.session.prompt() !== undefined;
      if (asked && !dialog.open) {
        this.error.set(undefined);
        dialog.querySelector('form')?.reset();
        dialog.showModal();
      } else if (!asked && dialog.open) dialog.close();
    });
  }

  protected submit(event: Event): void {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    this.busy.set(true);
    this.error.set(undefined);
    this.session.login(String(data.get('username') ?? ''), String(data.get('password') ?? '')).subscribe({
      error: (error: unknown) => {
        this.busy.set(false);
        this.error.set(problemMessage(error));
      },
      complete: () => this.busy.set(false),
    });
  }

  /** Escape and the Cancel button both answer "not logged in" to whoever asked. */
  protected cancel(event?: Event): void {
    event?.preventDefault();
    this.session.cancel();
  }
}
