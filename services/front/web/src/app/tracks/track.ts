import type { AbstractControl, ValidationErrors } from '@angular/forms';

/** Back v2 and later: the track's mean stars (null when unrated), how many rated, the user's own. */
export interface Rating {
  readonly average: number | null;
  readonly count: number;
  readonly mine: number | null;
}

export interface Track {
  readonly id: string;
  readonly title: string;
  readonly artist: string;
  readonly album?: string | null;
  readonly durationMs?: number | null;
  readonly createdBy: string;
  readonly createdAt: string;
  /** Absent when back-v1 answered: ratings arrive with back v2. */
  readonly rating?: Rating;
  /**
   * Back v3 and later: where the row comes from. A `spotify` row is a catalog track: `id` is its
   * Spotify id and `libraryId` the library track saved from it (null until saved); it has no
   * `createdBy` or `createdAt`. Absent when back-v1 or back-v2 answered.
   */
  readonly source?: 'spotify' | 'library';
  readonly spotifyId?: string | null;
  readonly albumArtUrl?: string | null;
  readonly popularity?: number | null;
  readonly libraryId?: string | null;
}

/** Which list back v3 shows: Spotify's catalog (its default) or the library (`source=library`). */
export type TrackSource = 'spotify' | 'library';

export interface TrackInput {
  readonly title: string;
  readonly artist: string;
  readonly album: string;
  readonly durationMs?: number;
}

export const tracksUrl = '/back/api/tracks';
export const libraryUrl = '/back/api/library';

/** The back versions that brought search (`q`) and ratings (docs/api.md). */
export const searchSince = 2;
export const ratedSince = 2;
export const spotifySince = 3;

/** The library track a row stands for: itself, or for a Spotify row the one saved from it. */
export function libraryIdOf(track: Track): string | undefined {
  if (track.source === 'spotify') {
    return track.libraryId ?? undefined;
  }
  return track.id;
}

export function trackUrl(id: string): string {
  return `${tracksUrl}/${encodeURIComponent(id)}`;
}

export function ratingUrl(id: string): string {
  return `${trackUrl(id)}/rating`;
}

const minutesSeconds = /^(\d+):([0-5]\d)(?:\.(\d{1,3}))?$/;
const milliseconds = /^\d+$/;

/**
 * Reads `m:ss` (3:45), `m:ss.mmm` (3:13.382) or whole milliseconds (225000); undefined for an empty
 * or malformed text.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  const parts = minutesSeconds.exec(trimmed);
  if (parts) {
    const fraction = Number((parts[3] ?? '').padEnd(3, '0'));
    return (Number(parts[1]) * 60 + Number(parts[2])) * 1000 + fraction;
  }
  return milliseconds.test(trimmed) ? Number(trimmed) : undefined;
}

/** `m:ss` to the nearest second, as a track list shows a duration (193382 ms reads 3:13). */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) {
    return '';
  }
  return minutesAndSeconds(Math.round(ms / 1000));
}

/** `m:ss`, and `.mmm` when there are milliseconds, so that editing a track keeps its duration exactly. */
export function formatDurationExactly(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) {
    return '';
  }
  const rest = ms % 1000;
  const whole = minutesAndSeconds(Math.floor(ms / 1000));
  return rest === 0 ? whole : `${whole}.${String(rest).padStart(3, '0')}`;
}

function minutesAndSeconds(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export function durationValidator(control: AbstractControl<string>): ValidationErrors | null {
  if (control.value.trim() === '') {
    return null;
  }
  const ms = parseDuration(control.value);
  return ms !== undefined && ms > 0 && Number.isSafeInteger(ms)
    ? null
    : { duration: 'A positive duration, as m:ss (3:45), m:ss.mmm (3:13.382) or milliseconds (225000).' };
}
