import { pageQuery } from '@music/service-kit';
import { type Static, Type } from 'typebox';

export const LOGIN_PATTERN = '^[a-z0-9._@-]{1,50}$';

export const User = Type.Object({
  login: Type.String(),
  firstName: Type.Union([Type.String(), Type.Null()]),
  lastName: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  activated: Type.Boolean(),
  authorities: Type.Array(Type.String()),
  createdDate: Type.String(),
  lastModifiedDate: Type.String(),
});
export type User = Static<typeof User>;

const name = Type.Optional(Type.Union([Type.String({ maxLength: 50 }), Type.Null()]));
// A form's empty email field arrives as "": it means no email. The format comes first so its message wins.
const email = Type.Optional(
  Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Literal(''), Type.Null()]),
);
// Checked against the known roles in input.ts, which names the field as a whole.
const authorities = Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 10 }));
const password = Type.String({ minLength: 8, maxLength: 100 });
const serverOwned = {
  createdDate: Type.Optional(Type.Unknown()),
  lastModifiedDate: Type.Optional(Type.Unknown()),
};

/** POST: a new user needs a login and a password; the rest defaults (no names, activated, ROLE_USER). */
export const NewUserInput = Type.Object(
  {
    login: Type.String({ pattern: LOGIN_PATTERN }),
    password,
    firstName: name,
    lastName: name,
    email,
    activated: Type.Optional(Type.Boolean()),
    authorities,
    ...serverOwned,
  },
  { additionalProperties: false },
);
export type NewUserInput = Static<typeof NewUserInput>;

/** PUT: the fields sent replace the stored ones; the fields left out keep their values. */
export const UserUpdateInput = Type.Object(
  {
    login: Type.Optional(Type.String()),
    password: Type.Optional(password),
    firstName: name,
    lastName: name,
    email,
    activated: Type.Optional(Type.Boolean()),
    authorities,
    ...serverOwned,
  },
  { additionalProperties: false },
);
export type UserUpdateInput = Static<typeof UserUpdateInput>;

export const UserParams = Type.Object({ login: Type.String({ pattern: LOGIN_PATTERN }) });

export const SORT_FIELDS = [
  'login',
  'firstName',
  'lastName',
  'email',
  'activated',
  'createdDate',
  'lastModifiedDate',
] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export const UserQuery = pageQuery(SORT_FIELDS, 'login,asc');
