import { Component } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { SessionBar } from './auth/session-bar';

@Component({
  selector: 'mc-root',
  imports: [RouterLink, RouterLinkActive, RouterOutlet, SessionBar],
  template: `
    <header class="masthead">
      <a class="brand" routerLink="/">Mesh console</a>
      <nav aria-label="Pages">
        <a routerLink="/" routerLinkActive="active" [routerLinkActiveOptions]="graphOnly" ariaCurrentWhenActive="page">Graph</a>
        <a routerLink="/config" routerLinkActive="active" ariaCurrentWhenActive="page">Istio config</a>
        <a routerLink="/explain" routerLinkActive="active" ariaCurrentWhenActive="page">Explain</a>
        <a routerLink="/mirrors" routerLinkActive="active" ariaCurrentWhenActive="page">Mirrors</a>
      </nav>
      <mc-session-bar class="login" />
    </header>
    <main><router-outlet /></main>
  `,
})
export class App {
  /** The graph is active on `/` whatever its query (`?graphType=workload`), not on every page. */
  protected readonly graphOnly = {
    paths: 'exact',
    queryParams: 'ignored',
    matrixParams: 'ignored',
    fragment: 'ignored',
  } as const;
}
