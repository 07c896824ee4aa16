import { Pipe, type PipeTransform } from '@angular/core';
import type { FormGroup, ValidationErrors } from '@angular/forms';
import type { ApiProblem } from './problem';

/**
 * Puts each of the problem's field errors on the form control of that name, as a `server` error
 * shown in the field's mat-error. Returns what is left for a general message: the problem's detail,
 * unless every field error found its control.
 */
export function showFieldErrors(form: FormGroup, problem: ApiProblem): string | undefined {
  let unmatched = problem.errors.length === 0;
  for (const { field, message } of problem.errors) {
    const control = form.get(field);
    if (control === null) {
      unmatched = true;
      continue;
    }
    control.setErrors({ ...control.errors, server: message });
    control.markAsTouched();
  }
  return unmatched ? problem.detail : undefined;
}

/**
 * The message for a control's first error. Errors whose value is a string (the server's, and this
 * app's own validators) carry their message; Angular's built-in validators get one here.
 */
@Pipe({ name: 'fieldError' })
export class FieldErrorPipe implements PipeTransform {
  transform(errors: ValidationErrors | null): string {
    const [key, value] = Object.entries(errors ?? {})[0] ?? [];
    if (typeof value === 'string') {
      return value;
    }
    switch (key) {
      case undefined:
        return '';
      case 'required':
        return 'Required.';
      case 'maxlength':
        return `At most ${value.requiredLength} characters.`;
      case 'minlength':
        return `At least ${value.requiredLength} characters.`;
      case 'email':
        return 'Not an email address.';
      default:
        return 'Invalid value.';
    }
  }
}
