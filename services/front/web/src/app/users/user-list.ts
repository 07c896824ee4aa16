import { httpResource } from '@angular/common/http';
import { Component, computed, inject } from '@angular/core';
import { MatButton } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatPaginator } from '@angular/material/paginator';
import { MatProgressBar } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatSort, MatSortHeader } from '@angular/material/sort';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { filter, switchMap } from 'rxjs';
import { pageParams, pageSizes, sortState, totalCount, withPage, withSort } from '../api/page';
import { problemMessage } from '../api/problem';
import { urlPageQuery } from '../api/url-page-query';
import { Session } from '../auth/session';
import { confirmDeletion } from '../confirm/confirm-dialog';
import { type User, usersUrl } from './user';
import { UsersApi } from './users-api';

@Component({
  selector: 'app-user-list',
  imports: [MatButton, MatPaginator, MatProgressBar, MatSort, MatSortHeader, MatTableModule, RouterLink],
  templateUrl: './user-list.html',
})
export class UserList {
  private readonly api = inject(UsersApi);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);

  protected readonly columns = ['login', 'name', 'email', 'activated', 'authorities', 'actions'];
  protected readonly pageSizes = pageSizes;

  private readonly pageInUrl = urlPageQuery();
  protected readonly query = this.pageInUrl.query;
  protected readonly sortState = computed(() => sortState(this.query()));
  /** The signed-in admin: their own row offers no Delete (the server refuses it too). */
  private readonly session = inject(Session);
  protected readonly me = computed(() => this.session.account()?.login);
  protected readonly users = httpResource<User[]>(() => ({
    url: usersUrl,
    params: pageParams(this.query()),
  }));
  protected readonly rows = computed(() => (this.users.hasValue() ? this.users.value() : []));
  protected readonly total = computed(() => totalCount(this.users.headers()));
  protected readonly loadError = computed(() => {
    const error = this.users.error();
    return error === undefined ? undefined : problemMessage(error);
  });

  protected readonly withPage = withPage;
  protected readonly withSort = withSort;
  protected readonly setQuery = this.pageInUrl.set;

  protected remove(user: User): void {
    confirmDeletion(this.dialog, { title: 'Delete user', message: `Delete the user "${user.login}"?` })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.remove(user.login)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open('User deleted.', undefined, { duration: 3000 });
          this.users.reload();
        },
        error: (error: unknown) => this.snackBar.open(problemMessage(error), 'Close'),
      });
  }
}
