import { type Static, Type } from 'typebox';

/** Spotify's bounds: at most 50 items a page and offsets up to 1000. */
export const SearchQuery = Type.Object(
  {
    q: Type.Optional(Type.String()),
    /** What Spotify writes in `href`, `next` and `previous`; accepted as a synonym of `q`. */
    query: Type.Optional(Type.String()),
    type: Type.Optional(Type.String()),
    limit: Type.Integer({ minimum: 1, maximum: 50, default: 20 }),
    offset: Type.Integer({ minimum: 0, maximum: 1000, default: 0 }),
    market: Type.Optional(Type.String({ pattern: '^([A-Z]{2}|from_token)$' })),
  },
  { additionalProperties: true },
);
export type SearchQuery = Static<typeof SearchQuery>;

export const TrackParams = Type.Object({ id: Type.String() });
export const TrackQuery = Type.Object(
  { market: Type.Optional(Type.String({ pattern: '^([A-Z]{2}|from_token)$' })) },
  { additionalProperties: true },
);

export const SEARCH_TYPES = ['album', 'artist', 'playlist', 'track', 'show', 'episode', 'audiobook'];
