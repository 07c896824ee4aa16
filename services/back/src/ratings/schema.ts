import { type Static, Type } from 'typebox';

/** A track's ratings (back v2): mean stars (null when unrated), how many users rated, the caller's own. */
export const Rating = Type.Object({
  average: Type.Union([Type.Number(), Type.Null()]),
  count: Type.Integer({ minimum: 0 }),
  mine: Type.Union([Type.Integer({ minimum: 1, maximum: 5 }), Type.Null()]),
});
export type Rating = Static<typeof Rating>;

export const RatingInput = Type.Object(
  { stars: Type.Integer({ minimum: 1, maximum: 5 }) },
  { additionalProperties: false },
);
export type RatingInput = Static<typeof RatingInput>;
