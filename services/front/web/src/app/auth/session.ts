import { HttpClient } from '@angular/common/http';
import { computed, Injectable, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { firstValueFrom } from 'rxjs';

export interface Account {
  readonly login: string;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly email: string | null;
  readonly authorities: readonly string[];
}

const tokenKey = 'music.id_token';

/** The signed-in user: the id_token (kept in sessionStorage, so one per tab) and the account it names. */
@Injectable({ providedIn: 'root' })
export class Session {
  private readonly http = inject(HttpClient);
  private readonly router = inject(Router);

  private readonly tokenState = signal(sessionStorage.getItem(tokenKey));
  private readonly accountState = signal<Account | undefined>(undefined);

  readonly token = this.tokenState.asReadonly();
  readonly account = this.accountState.asReadonly();
  readonly isAdmin = computed(() => this.accountState()?.authorities.includes('ROLE_ADMIN') ?? false);

  /** Rejects with an ApiProblem: 401 for bad credentials, 429 (with retryAfterSeconds) when rate limited. */
  async login(username: string, password: string): Promise<void> {
    const { id_token } = await firstValueFrom(
      this.http.post<{ id_token: string }>('/api/authenticate', { username, password }),
    );
    sessionStorage.setItem(tokenKey, id_token);
    this.tokenState.set(id_token);
    await this.loadAccount();
  }

  async loadAccount(): Promise<Account> {
    const account = await firstValueFrom(this.http.get<Account>('/api/account'));
    this.accountState.set(account);
    return account;
  }

  /** Forgets the token and goes to the login page, which brings the user back to `returnUrl`. */
  logout(returnUrl?: string): void {
    sessionStorage.removeItem(tokenKey);
    this.tokenState.set(null);
    this.accountState.set(undefined);
    void this.router.navigate(['/login'], returnUrl ? { queryParams: { returnUrl } } : {});
  }
}
