import { pageQuery } from '@music/service-kit';
import { type Static, Type } from 'typebox';

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

export const SORT_FIELDS = ['title', 'artist', 'album', 'durationMs', 'createdAt'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export const TrackQuery = pageQuery(SORT_FIELDS, 'createdAt,desc');
export type TrackQuery = Static<typeof TrackQuery>;
