import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type { Observable } from 'rxjs';
import { type User, type UserInput, usersUrl, userUrl } from './user';

/** The user administration commands; pages and single users are read with httpResource where shown. */
@Injectable({ providedIn: 'root' })
export class UsersApi {
  private readonly http = inject(HttpClient);

  create(user: UserInput): Observable<User> {
    return this.http.post<User>(usersUrl, user);
  }

  update(login: string, user: UserInput): Observable<User> {
    return this.http.put<User>(userUrl(login), user);
  }

  remove(login: string): Observable<void> {
    return this.http.delete<void>(userUrl(login));
  }
}
