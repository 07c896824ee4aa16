import { Component, inject } from '@angular/core';
import { LoginDialog } from './login-dialog';
import { Session } from './session';

/** Who is logged in, with Log out (or Log in), and the login dialog the pages' changes open. */
@Component({
  selector: 'mc-session-bar',
  imports: [LoginDialog],
  styleUrl: './session-bar.scss',
  template: `
    <div class="session" role="group" aria-label="Login">
      @if (session.user(); as user) {
        <span>Logged in as <strong>{{ user }}</strong></span>
        <button type="button" (click)="session.logout()">Log out</button>
      } @else {
        <span class="muted">Not logged in</span>
        <button type="button" (click)="logIn()">Log in</button>
      }
    </div>
    <mc-login-dialog />
  `,
})
export class SessionBar {
  protected readonly session = inject(Session);

  protected logIn(): void {
    void this.session.ask('Applying a wizard needs the admin role.');
  }
}
