import { Component } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';

@Component({
  selector: 'mc-root',
  imports: [RouterLink, RouterLinkActive, RouterOutlet],
  template: `
    <header class="masthead">
      <a class="brand" routerLink="/">Mesh console</a>
      <nav aria-label="Pages">
        <a routerLink="/" routerLinkActive="active" ariaCurrentWhenActive="page">Graph</a>
      </nav>
    </header>
    <main><router-outlet /></main>
  `,
})
export class App {}
