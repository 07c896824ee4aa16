import { httpResource } from '@angular/common/http';
import { Component, computed, effect, inject, input, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import { MatError, MatFormField, MatHint, MatLabel } from '@angular/material/form-field';
import { MatInput } from '@angular/material/input';
import { MatSnackBar } from '@angular/material/snack-bar';
import { Router, RouterLink } from '@angular/router';
import { FieldErrorPipe, showFieldErrors } from '../api/field-errors';
import { ApiProblem, problemMessage } from '../api/problem';
import {
  durationValidator,
  formatDurationExactly,
  parseDuration,
  type Track,
  type TrackInput,
  trackUrl,
} from './track';
import { TracksApi } from './tracks-api';

/** Creates a track (/tracks/new) or edits one (/tracks/:id/edit). */
@Component({
  selector: 'app-track-form',
  imports: [
    FieldErrorPipe,
    MatButton,
    MatError,
    MatFormField,
    MatHint,
    MatInput,
    MatLabel,
    ReactiveFormsModule,
    RouterLink,
  ],
  templateUrl: './track-form.html',
})
export class TrackForm {
  private readonly api = inject(TracksApi);
  private readonly router = inject(Router);
  private readonly snackBar = inject(MatSnackBar);

  /** The route's `:id`; absent when creating. */
  readonly id = input<string>();

  protected readonly track = httpResource<Track>(() => {
    const id = this.id();
    return id === undefined ? undefined : trackUrl(id);
  });
  protected readonly loadError = computed(() => {
    const error = this.track.error();
    return error === undefined ? undefined : problemMessage(error);
  });

  protected readonly form = inject(NonNullableFormBuilder).group({
    title: ['', [Validators.required, Validators.maxLength(200)]],
    artist: ['', [Validators.required, Validators.maxLength(200)]],
    album: ['', Validators.maxLength(200)],
    durationMs: ['', durationValidator],
  });
  protected readonly saving = signal(false);
  protected readonly error = signal<string | undefined>(undefined);

  constructor() {
    // While the track loads the form stays disabled: what a user typed into it would be
    // overwritten by the loaded values a moment later, and saved as if never typed.
    effect(() => {
      if (this.id() === undefined) return;
      if (this.track.hasValue()) {
        const { title, artist, album, durationMs } = this.track.value();
        this.form.reset({ title, artist, album: album ?? '', durationMs: formatDurationExactly(durationMs) });
        this.form.enable();
      } else this.form.disable();
    });
  }

  protected save(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { title, artist, album, durationMs } = this.form.getRawValue();
    const duration = parseDuration(durationMs);
    const body: TrackInput = {
      title,
      artist,
      album,
      ...(duration === undefined ? {} : { durationMs: duration }),
    };
    const id = this.id();
    this.saving.set(true);
    this.error.set(undefined);
    (id === undefined ? this.api.create(body) : this.api.update(id, body)).subscribe({
      next: () => {
        this.snackBar.open('Track saved.', undefined, { duration: 3000 });
        void this.router.navigate(['/tracks']);
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
