import { type FieldError, ValidationError } from '@music/service-kit';
import type { NewTrack } from './repository.ts';
import type { TrackInput } from './schema.ts';

/** Trims text fields and rejects what the schema cannot say: a title or artist made of spaces. */
export function normalizeTrack(input: TrackInput): NewTrack {
  const errors: FieldError[] = [];
  const required = (field: 'title' | 'artist') => {
    const value = input[field].trim();
    if (value === '') errors.push({ field, message: 'must not be blank' });
    return value;
  };
  const track = {
    title: required('title'),
    artist: required('artist'),
    album: input.album?.trim() || null,
    durationMs: input.durationMs ?? null,
  };
  if (errors.length > 0) throw new ValidationError(errors);
  return track;
}
