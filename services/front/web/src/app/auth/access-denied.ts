import { Component } from '@angular/core';
import { MatButton } from '@angular/material/button';
import { RouterLink } from '@angular/router';

@Component({
  selector: 'app-access-denied',
  imports: [MatButton, RouterLink],
  template: `
    <section class="page" data-testid="access-denied">
      <h1>Access denied</h1>
      <p>This page is for administrators.</p>
      <a matButton="outlined" routerLink="/tracks">Back to tracks</a>
    </section>
  `,
})
export class AccessDenied {}
