import { type Static, Type } from 'typebox';

/** The part of Spotify's track object this service reads; anything else Spotify sends is ignored. */
export const SpotifyTrack = Type.Object({
  id: Type.String({ minLength: 1 }),
  name: Type.String(),
  artists: Type.Array(Type.Object({ name: Type.String() })),
  album: Type.Object({
    name: Type.String(),
    release_date: Type.Optional(Type.String()),
    images: Type.Array(Type.Object({ url: Type.String() })),
  }),
  duration_ms: Type.Integer({ minimum: 0 }),
  popularity: Type.Optional(Type.Integer()),
  preview_url: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type SpotifyTrack = Static<typeof SpotifyTrack>;

export const SpotifySearch = Type.Object({
  tracks: Type.Object({
    items: Type.Array(SpotifyTrack),
    total: Type.Integer({ minimum: 0 }),
  }),
});
export type SpotifySearch = Static<typeof SpotifySearch>;
