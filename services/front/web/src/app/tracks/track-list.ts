import { DecimalPipe } from '@angular/common';
import { httpResource } from '@angular/common/http';
import { Component, computed, inject, linkedSignal, signal } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { MatButton } from '@angular/material/button';
import { MatButtonToggle, MatButtonToggleGroup } from '@angular/material/button-toggle';
import { MatDialog } from '@angular/material/dialog';
import { MatFormField, MatHint, MatLabel } from '@angular/material/form-field';
import { MatInput } from '@angular/material/input';
import { MatPaginator } from '@angular/material/paginator';
import { MatProgressBar } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatSort, MatSortHeader } from '@angular/material/sort';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { debounceTime, filter, map, type Observable, switchMap } from 'rxjs';
import { pageParams, pageSizes, sortState, totalCount, withPage, withSort } from '../api/page';
import { ApiProblem, problemMessage } from '../api/problem';
import { urlPageQuery } from '../api/url-page-query';
import { confirmDeletion } from '../confirm/confirm-dialog';
import { ServedBy, versionOf } from '../shell/served-by';
import {
  formatDuration,
  libraryIdOf,
  type Rating,
  ratedSince,
  searchSince,
  spotifySince,
  type Track,
  type TrackSource,
  tracksUrl,
} from './track';
import { TracksApi } from './tracks-api';

const BASE_COLUMNS = ['title', 'artist', 'album', 'durationMs'];

/**
 * The tracks table. Search and ratings come with back v2, Spotify's catalog with back v3: during a
 * canary any list may come from an older version, which ignores `q` or `source` and sends no
 * `rating` or `source`, so the page follows each answer (X-Served-By and the rows themselves)
 * instead of assuming a version, and never breaks on an older one.
 */
@Component({
  selector: 'app-track-list',
  imports: [
    DecimalPipe,
    MatButton,
    MatButtonToggle,
    MatButtonToggleGroup,
    MatFormField,
    MatHint,
    MatInput,
    MatLabel,
    MatPaginator,
    MatProgressBar,
    MatSort,
    MatSortHeader,
    MatTableModule,
    RouterLink,
  ],
  templateUrl: './track-list.html',
  styleUrl: './track-list.scss',
})
export class TrackList {
  private readonly api = inject(TracksApi);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  protected readonly servedBy = inject(ServedBy);

  protected readonly pageSizes = pageSizes;
  protected readonly formatDuration = formatDuration;
  protected readonly stars = [1, 2, 3, 4, 5];

  private readonly pageInUrl = urlPageQuery();
  protected readonly query = this.pageInUrl.query;
  protected readonly sortState = computed(() => sortState(this.query()));
  protected readonly setQuery = this.pageInUrl.set;
  /** What the search box holds; `search` follows it 300 ms after the typing stops. */
  protected readonly searchText = signal('');
  private readonly search = signal('');
  /** Back v3's two lists; older versions ignore `source` and always answer the library. */
  protected readonly source = signal<TrackSource>('spotify');
  protected readonly tracks = httpResource<Track[]>(() => {
    const q = this.search();
    let params = pageParams(this.query());
    if (q !== '') {
      params = params.set('q', q);
    }
    if (this.source() === 'library') {
      params = params.set('source', 'library');
    }
    return { url: tracksUrl, params };
  });
  /** Ratings changed here since the list arrived; a new list starts afresh. */
  private readonly rated = linkedSignal<Track[] | undefined, ReadonlyMap<string, Rating>>({
    source: () => (this.tracks.hasValue() ? this.tracks.value() : undefined),
    computation: () => new Map(),
  });
  protected readonly rows = computed(() => {
    const rows = this.tracks.hasValue() ? this.tracks.value() : [];
    const rated = this.rated();
    if (rated.size === 0) return rows;
    return rows.map((t) => {
      const rating = rated.get(t.id);
      return rating === undefined ? t : { ...t, rating };
    });
  });
  protected readonly total = computed(() => totalCount(this.tracks.headers()));
  protected readonly loadError = computed(() => {
    const error = this.tracks.error();
    return error === undefined ? undefined : problemMessage(error);
  });

  /**
   * The back that sent the rows on screen (X-Served-By of the list's own answer), not whichever
   * answered last: a rating or a save may be answered by another version in between.
   */
  protected readonly listServedBy = linkedSignal<string | undefined, string | undefined>({
    source: () => this.tracks.headers()?.get('X-Served-By') ?? undefined,
    // While the next list loads, the one on screen still came from the last answer.
    computation: (servedBy, previous) => servedBy ?? previous?.value,
  });
  private readonly listVersion = computed(() => versionOf(this.listServedBy()));

  /** Until back has answered, search is offered; a list from before v2 turns it into a hint. */
  protected readonly canSearch = computed(() => (this.listVersion() ?? searchSince) >= searchSince);
  /** The rating column shows when the rows carry ratings, whichever version sent them. */
  protected readonly showRatings = computed(() => this.rows().some((t) => t.rating !== undefined));
  /** The choice of list shows once a back that has both (v3) answered. */
  protected readonly canChooseSource = computed(() => (this.listVersion() ?? 0) >= spotifySince);
  /** Rows from Spotify: album art, no sorting (Spotify orders by relevance and popularity). */
  protected readonly showsCatalog = computed(() => this.rows().some((t) => t.source === 'spotify'));
  /** The art column shows when the rows carry art fields (back v3), from Spotify or saved from it. */
  protected readonly showArt = computed(() => this.rows().some((t) => t.albumArtUrl !== undefined));
  protected readonly columns = computed(() => [
    ...(this.showArt() ? ['art'] : []),
    ...BASE_COLUMNS,
    ...(this.showRatings() ? ['rating'] : []),
    'actions',
  ]);
  /** The track whose rating is being sent, so its stars wait for the answer. */
  protected readonly ratingTrack = signal<string | undefined>(undefined);
  /** The Spotify track being saved to the library. */
  protected readonly savingTrack = signal<string | undefined>(undefined);

  protected readonly withPage = withPage;
  protected readonly withSort = withSort;

  constructor() {
    toObservable(this.searchText)
      .pipe(
        debounceTime(300),
        map((text) => text.trim()),
        // The box's first value (empty) is no new search: a shared link's page stays as given.
        filter((q) => q !== this.search()),
        takeUntilDestroyed(),
      )
      .subscribe((q) => {
        this.search.set(q);
        if (this.query().page !== 0) this.setQuery({ ...this.query(), page: 0 });
      });
  }

  protected chooseSource(source: TrackSource): void {
    this.source.set(source);
    const query = this.query();
    this.setQuery({ ...query, page: 0, sort: source === 'spotify' ? '' : query.sort });
  }

  /** Saves a Spotify row to the library; the list then shows it saved, with its stars. */
  protected saveToLibrary(track: Track): void {
    this.savingTrack.set(track.id);
    this.api.saveToLibrary(track.spotifyId ?? track.id).subscribe({
      next: () => {
        this.savingTrack.set(undefined);
        this.snackBar.open(`"${track.title}" saved to your library.`, undefined, { duration: 3000 });
        this.tracks.reload();
      },
      error: (error: unknown) => {
        this.savingTrack.set(undefined);
        this.snackBar.open(problemMessage(error), 'Close');
      },
    });
  }

  protected readonly libraryIdOf = libraryIdOf;

  /** Sets the user's stars; clicking the stars they gave withdraws the rating. */
  protected rate(track: Track, stars: number): void {
    const id = libraryIdOf(track);
    if (id === undefined) {
      return;
    }
    const withdraw = track.rating?.mine === stars;
    const request: Observable<Rating | undefined> = withdraw
      ? this.api.unrate(id).pipe(map(() => undefined))
      : this.api.rate(id, stars);
    this.ratingTrack.set(track.id);
    request.subscribe({
      next: (rating) => {
        this.ratingTrack.set(undefined);
        if (rating === undefined) this.tracks.reload();
        else this.rated.update((rated) => new Map(rated).set(track.id, rating));
      },
      error: (error: unknown) => {
        this.ratingTrack.set(undefined);
        const older = (this.servedBy.version() ?? ratedSince) < ratedSince;
        const message =
          older && error instanceof ApiProblem && error.status === 404
            ? `Ratings arrive with back v2; ${this.servedBy.last()} answered. Try again.`
            : problemMessage(error);
        this.snackBar.open(message, 'Close');
      },
    });
  }

  protected remove(track: Track): void {
    const id = libraryIdOf(track);
    if (id === undefined) {
      return;
    }
    confirmDeletion(this.dialog, {
      title: 'Delete track',
      message: `Delete "${track.title}" by ${track.artist}?`,
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.remove(id)),
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
