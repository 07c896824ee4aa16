export const authorities = ['ROLE_ADMIN', 'ROLE_USER'] as const;
export type Authority = (typeof authorities)[number];

export interface User {
  readonly login: string;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly email: string | null;
  readonly activated: boolean;
  readonly authorities: readonly string[];
  readonly createdDate: string;
  readonly lastModifiedDate: string;
}

/** What POST and PUT accept; `password` is required on POST, optional on PUT. */
export interface UserInput {
  readonly login: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly activated: boolean;
  readonly authorities: readonly Authority[];
  readonly password?: string;
}

export const usersUrl = '/api/admin/users';

export function userUrl(login: string): string {
  return `${usersUrl}/${encodeURIComponent(login)}`;
}

/** docs/api.md: 1–50 characters of [a-z0-9._@-]. */
export const loginPattern = /^[a-z0-9._@-]{1,50}$/;
