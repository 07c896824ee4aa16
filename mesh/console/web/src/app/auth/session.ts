import { DOCUMENT } from '@angular/common';
import { HttpClient } from '@angular/common/http';
import { computed, Injectable, inject, signal } from '@angular/core';
import { map, type Observable } from 'rxjs';
import { tokenClaims, tokenUsable } from './token';

const storageKey = 'mesh-console.token';

/**
 * The app's token for this tab (sessionStorage: gone with the tab, not shared with others), and
 * the login the console asks for when a change needs the admin role.
 */
@Injectable({ providedIn: 'root' })
export class Session {
  private readonly http = inject(HttpClient);
  private readonly storage = inject(DOCUMENT).defaultView?.sessionStorage;

  readonly token = signal<string | undefined>(this.stored());
  readonly user = computed(() => {
    const token = this.token();
    return token === undefined ? undefined : (tokenClaims(token)?.subject ?? 'admin');
  });
  /** Why the login is asked for, while it is. */
  readonly prompt = signal<string | undefined>(undefined);
  /** The user cancelled a login: reading pages do not ask again until the user logs in. */
  readonly declined = signal(false);
  #waiting: ((loggedIn: boolean) => void)[] = [];

  /** Asks for the login; true once logged in, false when the user cancels. */
  ask(reason: string): Promise<boolean> {
    this.prompt.set(reason);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  login(username: string, password: string): Observable<void> {
    return this.http.post<{ id_token: string }>('/api/login', { username, password }).pipe(
      map(({ id_token: token }) => {
        this.keep(token);
        this.declined.set(false);
        this.settle(true);
      }),
    );
  }

  cancel(): void {
    this.declined.set(true);
    this.settle(false);
  }

  logout(): void {
    this.keep(undefined);
  }

  private settle(loggedIn: boolean): void {
    this.prompt.set(undefined);
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve(loggedIn);
  }

  private keep(token: string | undefined): void {
    this.token.set(token);
    try {
      if (token === undefined) this.storage?.removeItem(storageKey);
      else this.storage?.setItem(storageKey, token);
    } catch {
      // Storage refused (private mode, quota): the token lasts as long as the page.
    }
  }

  private stored(): string | undefined {
    try {
      const token = this.storage?.getItem(storageKey) ?? undefined;
      return token !== undefined && tokenUsable(token, Date.now()) ? token : undefined;
    } catch {
      return undefined;
    }
  }
}
