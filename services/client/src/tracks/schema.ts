import { type Static, Type } from 'typebox';

/** back's track shape (id, title, artist, album, durationMs) plus what Spotify adds. */
export const Track = Type.Object({
  id: Type.String(),
  title: Type.String(),
  artist: Type.String(),
  album: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  spotifyId: Type.String(),
  popularity: Type.Union([Type.Integer(), Type.Null()]),
  albumArtUrl: Type.Union([Type.String(), Type.Null()]),
  previewUrl: Type.Union([Type.String(), Type.Null()]),
  releaseYear: Type.Union([Type.Integer(), Type.Null()]),
});
export type Track = Static<typeof Track>;

/** Spotify's own bounds: 1–50 a page, offsets up to 1000. */
export const SearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 250 }),
    limit: Type.Integer({ minimum: 1, maximum: 50, default: 20 }),
    offset: Type.Integer({ minimum: 0, maximum: 1000, default: 0 }),
  },
  { additionalProperties: true },
);
export type SearchQuery = Static<typeof SearchQuery>;

export const TrackParams = Type.Object({ id: Type.String({ pattern: '^[0-9A-Za-z]{22}$' }) });
