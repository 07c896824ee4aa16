import { Component, inject } from '@angular/core';
import { MatButton } from '@angular/material/button';
import { MatChip } from '@angular/material/chips';
import { MatToolbar } from '@angular/material/toolbar';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { Session } from '../auth/session';
import { ServedBy } from './served-by';

/** The frame of every signed-in page: toolbar with navigation, back instance, user and sign-out. */
@Component({
  selector: 'app-shell',
  imports: [MatButton, MatChip, MatToolbar, RouterLink, RouterLinkActive, RouterOutlet],
  templateUrl: './shell.html',
  styleUrl: './shell.scss',
})
export class Shell {
  protected readonly session = inject(Session);
  protected readonly servedBy = inject(ServedBy).last;
}
