import { type FieldError, ValidationError } from '@music/service-kit';
import { AUTHORITIES, ROLE_USER } from '../auth/principal.ts';
import type { UserFields } from './repository.ts';
import type { NewUserInput, User, UserUpdateInput } from './schema.ts';

/** A new user's fields: blank text becomes null, authorities default to ROLE_USER. */
export function newUserFields(input: NewUserInput): UserFields {
  return checked({
    firstName: text(input.firstName),
    lastName: text(input.lastName),
    email: text(input.email),
    activated: input.activated ?? true,
    authorities: input.authorities ?? [ROLE_USER],
  });
}

/** The stored fields with the ones the client sent replacing them. */
export function updatedFields(current: User, input: UserUpdateInput): UserFields {
  if (input.login !== undefined && input.login !== current.login) {
    throw new ValidationError([
      { field: 'login', message: `must be ${current.login}, as in the path; logins cannot change` },
    ]);
  }
  return checked({
    firstName: input.firstName === undefined ? current.firstName : text(input.firstName),
    lastName: input.lastName === undefined ? current.lastName : text(input.lastName),
    email: input.email === undefined ? current.email : text(input.email),
    activated: input.activated ?? current.activated,
    authorities: input.authorities ?? current.authorities,
  });
}

function checked(fields: UserFields): UserFields {
  const errors: FieldError[] = [];
  const unknown = fields.authorities.filter((a) => !AUTHORITIES.includes(a));
  if (unknown.length > 0) {
    errors.push({
      field: 'authorities',
      message: `must be among ${AUTHORITIES.join(', ')}; got ${unknown.join(', ')}`,
    });
  }
  if (errors.length > 0) throw new ValidationError(errors);
  // One order everywhere, so tokens read "ROLE_ADMIN ROLE_USER" whatever the client sent.
  return { ...fields, authorities: AUTHORITIES.filter((a) => fields.authorities.includes(a)) };
}

function text(value: string | null | undefined): string | null {
  return value?.trim() || null;
}
