import { httpResource } from '@angular/common/http';
import { Component, computed, effect, inject, input, signal } from '@angular/core';
import {
  type AbstractControl,
  NonNullableFormBuilder,
  ReactiveFormsModule,
  Validators,
} from '@angular/forms';
import { MatButton } from '@angular/material/button';
import { MatCheckbox } from '@angular/material/checkbox';
import { MatError, MatFormField, MatHint, MatLabel } from '@angular/material/form-field';
import { MatInput } from '@angular/material/input';
import { MatSnackBar } from '@angular/material/snack-bar';
import { Router, RouterLink } from '@angular/router';
import { FieldErrorPipe, showFieldErrors } from '../api/field-errors';
import { ApiProblem, problemMessage } from '../api/problem';
import { authorities, loginPattern, type User, type UserInput, userUrl } from './user';
import { UsersApi } from './users-api';

/** Creates a user (/admin/users/new) or edits one (/admin/users/:login/edit). */
@Component({
  selector: 'app-user-form',
  imports: [
    FieldErrorPipe,
    MatButton,
    MatCheckbox,
    MatError,
    MatFormField,
    MatHint,
    MatInput,
    MatLabel,
    ReactiveFormsModule,
    RouterLink,
  ],
  templateUrl: './user-form.html',
  styleUrl: './user-form.scss',
})
export class UserForm {
  private readonly api = inject(UsersApi);
  private readonly router = inject(Router);
  private readonly snackBar = inject(MatSnackBar);

  /** The route's `:login`; absent when creating. */
  readonly login = input<string>();

  protected readonly user = httpResource<User>(() => {
    const login = this.login();
    return login === undefined ? undefined : userUrl(login);
  });
  protected readonly loadError = computed(() => {
    const error = this.user.error();
    return error === undefined ? undefined : problemMessage(error);
  });

  protected readonly authorities = authorities;
  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly form = this.fb.group({
    login: [
      '',
      [
        Validators.required,
        (control: AbstractControl<string>) =>
          control.value === '' || loginPattern.test(control.value)
            ? null
            : { login: '1 to 50 of a-z 0-9 . _ @ -' },
      ],
    ],
    firstName: ['', Validators.maxLength(50)],
    lastName: ['', Validators.maxLength(50)],
    // Optional, as for the API: the seeded admin and user accounts have none.
    email: ['', [Validators.email, Validators.maxLength(254)]],
    activated: [true],
    authorities: this.fb.group({ ROLE_ADMIN: [false], ROLE_USER: [true] }),
    // Required only when creating: on edit, an empty password keeps the current one.
    password: [
      '',
      [
        (control: AbstractControl<string>) =>
          this.login() === undefined ? Validators.required(control) : null,
        Validators.minLength(8),
        Validators.maxLength(100),
      ],
    ],
  });
  protected readonly saving = signal(false);
  protected readonly error = signal<string | undefined>(undefined);

  constructor() {
    // Disabled while the user loads, as the track form is: typing would be overwritten on arrival.
    effect(() => {
      if (this.login() === undefined) return;
      if (!this.user.hasValue()) {
        this.form.disable();
        return;
      }
      const user = this.user.value();
      this.form.reset({
        login: user.login,
        firstName: user.firstName ?? '',
        lastName: user.lastName ?? '',
        email: user.email ?? '',
        activated: user.activated,
        authorities: {
          ROLE_ADMIN: user.authorities.includes('ROLE_ADMIN'),
          ROLE_USER: user.authorities.includes('ROLE_USER'),
        },
        password: '',
      });
      this.form.enable();
      // The login names the user in the URL; it is not edited.
      this.form.controls.login.disable();
    });
  }

  protected save(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { password, authorities: roles, ...fields } = this.form.getRawValue();
    const body: UserInput = {
      ...fields,
      authorities: this.authorities.filter((authority) => roles[authority]),
      ...(password === '' ? {} : { password }),
    };
    const login = this.login();
    this.saving.set(true);
    this.error.set(undefined);
    (login === undefined ? this.api.create(body) : this.api.update(login, body)).subscribe({
      next: () => {
        this.snackBar.open('User saved.', undefined, { duration: 3000 });
        void this.router.navigate(['/admin/users']);
      },
      error: (error: unknown) => {
        this.error.set(
          error instanceof ApiProblem ? showFieldErrors(this.form, error) : problemMessage(error),
        );
        this.saving.set(false);
      },
    });
  }
}
