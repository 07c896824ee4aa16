import { Component, inject, input, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import { MatCard, MatCardContent, MatCardHeader, MatCardTitle } from '@angular/material/card';
import { MatError, MatFormField, MatLabel } from '@angular/material/form-field';
import { MatInput } from '@angular/material/input';
import { Router } from '@angular/router';
import { ApiProblem } from '../api/problem';
import { Session } from './session';

@Component({
  selector: 'app-login-page',
  imports: [
    ReactiveFormsModule,
    MatButton,
    MatCard,
    MatCardContent,
    MatCardHeader,
    MatCardTitle,
    MatError,
    MatFormField,
    MatInput,
    MatLabel,
  ],
  templateUrl: './login-page.html',
  styleUrl: './login-page.scss',
})
export class LoginPage {
  private readonly session = inject(Session);
  private readonly router = inject(Router);

  /** Where to go once signed in (query parameter, set by the guard or the auth interceptor). */
  readonly returnUrl = input<string>();

  protected readonly form = inject(NonNullableFormBuilder).group({
    username: ['', Validators.required],
    password: ['', Validators.required],
  });
  protected readonly busy = signal(false);
  protected readonly error = signal<string | undefined>(undefined);

  protected async submit(): Promise<void> {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { username, password } = this.form.getRawValue();
    this.busy.set(true);
    this.error.set(undefined);
    try {
      await this.session.login(username, password);
      await this.router.navigateByUrl(this.safeReturnUrl());
    } catch (error) {
      this.error.set(messageFor(error));
    } finally {
      this.busy.set(false);
    }
  }

  /** Only paths inside the app, so a crafted link cannot send the user elsewhere after sign-in. */
  private safeReturnUrl(): string {
    const url = this.returnUrl();
    return url?.startsWith('/') && !url.startsWith('//') && !url.startsWith('/login') ? url : '/tracks';
  }
}

function messageFor(error: unknown): string {
  if (!(error instanceof ApiProblem)) {
    return 'Sign-in failed.';
  }
  switch (error.status) {
    case 401:
      return 'Bad credentials: check your username and password.';
    case 429:
      return error.retryAfterSeconds === undefined
        ? 'Too many attempts, retry later.'
        : `Too many attempts, retry in ${error.retryAfterSeconds} s.`;
    default:
      return error.detail;
  }
}
