import { Component } from '@angular/core';
import { RouterLink, RouterOutlet } from '@angular/router';

@Component({
  selector: 'mc-root',
  imports: [RouterLink, RouterOutlet],
  template: `
    <header class="masthead">
      <a class="brand" routerLink="/">Mesh console</a>
      <nav aria-label="Pages"><a routerLink="/" aria-current="page">Graph</a></nav>
    </header>
    <main><router-outlet /></main>
  `,
})
export class App {}
