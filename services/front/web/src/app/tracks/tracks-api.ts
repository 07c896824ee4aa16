import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type { Observable } from 'rxjs';
import {
  libraryUrl,
  type Rating,
  ratingUrl,
  type Track,
  type TrackInput,
  tracksUrl,
  trackUrl,
} from './track';

/** The track commands; pages and single tracks are read with httpResource where they are shown. */
@Injectable({ providedIn: 'root' })
export class TracksApi {
  private readonly http = inject(HttpClient);

  create(track: TrackInput): Observable<Track> {
    return this.http.post<Track>(tracksUrl, track);
  }

  update(id: string, track: TrackInput): Observable<Track> {
    return this.http.put<Track>(trackUrl(id), track);
  }

  remove(id: string): Observable<void> {
    return this.http.delete<void>(trackUrl(id));
  }

  /** Back v2 and later; a back-v1 answers 404. */
  rate(id: string, stars: number): Observable<Rating> {
    return this.http.put<Rating>(ratingUrl(id), { stars });
  }

  unrate(id: string): Observable<void> {
    return this.http.delete<void>(ratingUrl(id));
  }

  /** Back v3 and later: saves a Spotify track to the library (201, or 200 when it was there). */
  saveToLibrary(spotifyId: string): Observable<Track> {
    return this.http.post<Track>(libraryUrl, { spotifyId });
  }
}
