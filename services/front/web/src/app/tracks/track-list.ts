import { httpResource } from '@angular/common/http';
import { Component, computed, inject, signal } from '@angular/core';
import { MatButton } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatPaginator } from '@angular/material/paginator';
import { MatProgressBar } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatSort, MatSortHeader } from '@angular/material/sort';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { filter, switchMap } from 'rxjs';
import {
  firstPage,
  type PageQuery,
  pageParams,
  pageSizes,
  totalCount,
  withPage,
  withSort,
} from '../api/page';
import { problemMessage } from '../api/problem';
import { confirmDeletion } from '../confirm/confirm-dialog';
import { formatDuration, type Track, tracksUrl } from './track';
import { TracksApi } from './tracks-api';

@Component({
  selector: 'app-track-list',
  imports: [MatButton, MatPaginator, MatProgressBar, MatSort, MatSortHeader, MatTableModule, RouterLink],
  templateUrl: './track-list.html',
})
export class TrackList {
  private readonly api = inject(TracksApi);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);

  protected readonly columns = ['title', 'artist', 'album', 'durationMs', 'actions'];
  protected readonly pageSizes = pageSizes;
  protected readonly formatDuration = formatDuration;

  protected readonly query = signal<PageQuery>(firstPage);
  protected readonly tracks = httpResource<Track[]>(() => ({
    url: tracksUrl,
    params: pageParams(this.query()),
  }));
  protected readonly rows = computed(() => (this.tracks.hasValue() ? this.tracks.value() : []));
  protected readonly total = computed(() => totalCount(this.tracks.headers()));
  protected readonly loadError = computed(() => {
    const error = this.tracks.error();
    return error === undefined ? undefined : problemMessage(error);
  });

  protected readonly withPage = withPage;
  protected readonly withSort = withSort;

  protected remove(track: Track): void {
    confirmDeletion(this.dialog, {
      title: 'Delete track',
      message: `Delete "${track.title}" by ${track.artist}?`,
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.remove(track.id)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open('Track deleted.', undefined, { duration: 3000 });
          this.tracks.reload();
        },
        error: (error: unknown) => this.snackBar.open(problemMessage(error), 'Close'),
      });
  }
}
