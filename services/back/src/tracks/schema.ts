import { pageQuery } from '@music/service-kit';
import { type Static, type TSchema, Type } from 'typebox';
import type { Features } from '../features.ts';
import { Rating } from '../ratings/schema.ts';

const text = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const Track = Type.Object({
  id: Type.String(),
  title: Type.String(),
  artist: Type.String(),
  album: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  createdBy: Type.String(),
  createdAt: Type.String(),
});
export type Track = Static<typeof Track>;

/** A list item of back v2 and later. */
export const RatedTrack = Type.Object({ ...Track.properties, rating: Rating });
export type RatedTrack = Static<typeof RatedTrack>;

const nullable = <T extends TSchema>(type: T) => Type.Union([type, Type.Null()]);

/** A track of back v3: typed in (`spotifyId` null) or saved from Spotify. v1 and v2 answer `Track`. */
export const LibraryTrack = Type.Object({
  ...Track.properties,
  source: Type.Literal('library'),
  spotifyId: nullable(Type.String()),
  albumArtUrl: nullable(Type.String()),
});
export type LibraryTrack = Static<typeof LibraryTrack>;

/**
 * An item of back v3's list: a Spotify track (`source: "spotify"`, `id` is the Spotify id, and
 * `libraryId` the library track saved from it, with its `rating`), or with `?source=library` a
 * library track (`source: "library"`, with `createdBy`, `createdAt` and `rating`). One object
 * schema with optional fields rather than a union, so the serializer stays fast.
 */
export const ListItem = Type.Object({
  ...Track.properties,
  createdBy: Type.Optional(Type.String()),
  createdAt: Type.Optional(Type.String()),
  source: Type.Union([Type.Literal('spotify'), Type.Literal('library')]),
  spotifyId: nullable(Type.String()),
  albumArtUrl: nullable(Type.String()),
  popularity: Type.Optional(nullable(Type.Integer())),
  previewUrl: Type.Optional(nullable(Type.String())),
  releaseYear: Type.Optional(nullable(Type.Integer())),
  libraryId: Type.Optional(nullable(Type.String())),
  rating: Type.Optional(Rating),
});
export type ListItem = Static<typeof ListItem>;

export const SpotifyIdInput = Type.Object(
  { spotifyId: Type.String({ pattern: '^[0-9A-Za-z]{22}$' }) },
  { additionalProperties: false },
);
export type SpotifyIdInput = Static<typeof SpotifyIdInput>;

/** What a client may write. Server-owned fields (`id`, `createdBy`, `createdAt`) are accepted and ignored. */
export const TrackInput = Type.Object(
  {
    title: text(200),
    artist: text(200),
    album: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    durationMs: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 2_147_483_647 }), Type.Null()]),
    ),
    id: Type.Optional(Type.Unknown()),
    createdBy: Type.Optional(Type.Unknown()),
    createdAt: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type TrackInput = Static<typeof TrackInput>;

export const TrackParams = Type.Object({
  id: Type.String({
    pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  }),
});

const SORT_FIELDS = ['title', 'artist', 'album', 'durationMs', 'createdAt'] as const;
const RATED_SORT_FIELDS = [...SORT_FIELDS, 'rating'] as const;
export type SortField = (typeof RATED_SORT_FIELDS)[number];

/**
 * `?page&size&sort&q`. With ratings, `sort` also takes `rating`. Without search (v1), `q` is
 * accepted and ignored like any unknown parameter, so a UI that sends it mid-canary still gets its
 * list; the answer's `X-Served-By` tells it the list is not filtered.
 */
export function trackQuery(features: Features) {
  const paging = pageQuery(features.ratings ? RATED_SORT_FIELDS : SORT_FIELDS, 'createdAt,desc');
  return Type.Object(
    {
      ...paging.properties,
      q: Type.Optional(Type.String(features.search ? { maxLength: 200 } : {})),
      source: Type.Optional(features.spotify ? TrackSource : Type.String()),
    },
    { additionalProperties: true },
  );
}

/**
 * back v3: `spotify` (the default) lists Spotify's catalog, where `sort` is ignored (Spotify
 * orders by relevance and popularity); `library` lists our tracks as v2 does. Older versions
 * ignore `source`, so they answer the library.
 */
export const TrackSource = Type.Union([Type.Literal('spotify'), Type.Literal('library')]);
export type TrackQuery = Static<ReturnType<typeof trackQuery>>;
