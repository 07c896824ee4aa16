/**
 * What each version of back offers. One image runs as every version (as Bookinfo's `reviews` does):
 * APP_VERSION picks the features once, at start, and app.ts composes routes, schemas and queries
 * from them; handlers never look at the version. A feature arrives in a version and stays in every
 * later one, so each version adds a line here and registers its routes where it is true.
 */
const ARRIVES_IN = {
  tracks: 1,
  ratings: 2,
  search: 2,
  /** The list shows Spotify's catalog (through `client`), and Spotify tracks can be saved to the library. */
  spotify: 3,
} as const satisfies Record<string, number>;

export type Feature = keyof typeof ARRIVES_IN;
export type Features = Readonly<Record<Feature, boolean>>;

/** The features of `v1`, `v2`, ...; a version after the last known one has them all. */
export function featuresOf(version: string): Features {
  const number = Number.parseInt(version.replace(/^v/, ''), 10);
  if (!Number.isSafeInteger(number) || number < 1) throw new Error(`unknown version: ${version}`);
  const entries = Object.entries(ARRIVES_IN).map(([feature, since]) => [feature, number >= since]);
  return Object.freeze(Object.fromEntries(entries) as Record<Feature, boolean>);
}
