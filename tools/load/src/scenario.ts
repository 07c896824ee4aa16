/**
 * What a simulated user does: the operations, their weights, and the data they make up. `rate`
 * needs a version with ratings (v2+) to have listed a track, `save` (POST /back/api/library) a v3
 * list of Spotify tracks; until then they browse instead.
 */
export const operations = ['browse', 'search', 'open', 'create', 'rate', 'save'] as const;
export type Operation = (typeof operations)[number];
export type Weights = Readonly<Record<Operation, number>>;

/** Mostly reading, as people use a music library. */
export const defaultWeights: Weights = Object.freeze({
  browse: 45,
  search: 20,
  open: 15,
  create: 10,
  rate: 10,
  save: 5,
});

/** `browse=5,rate=0`: the named operations get those weights, the others keep the defaults. */
export function parseWeights(text: string, base: Weights = defaultWeights): Weights {
  const weights: Record<Operation, number> = { ...base };
  for (const part of text.split(',').filter((item) => item.trim() !== '')) {
    const [name, value, ...rest] = part.split('=').map((item) => item.trim());
    if (!operations.includes(name as Operation))
      throw new RangeError(`unknown operation "${name}" (one of ${operations.join(', ')})`);
    const weight = Number(value);
    if (rest.length > 0 || value === undefined || value === '' || !Number.isFinite(weight) || weight < 0)
      throw new RangeError(`the weight of ${name} must be a number ≥ 0 (got ${value ?? 'nothing'})`);
    weights[name as Operation] = weight;
  }
  if (operations.every((op) => weights[op] === 0)) throw new RangeError('at least one weight must be > 0');
  return Object.freeze(weights);
}

export function pickOperation(weights: Weights, random: () => number): Operation {
  let sum = 0;
  for (const op of operations) sum += weights[op];
  let x = random() * sum;
  for (const op of operations) {
    x -= weights[op];
    if (x < 0 && weights[op] > 0) return op;
  }
  return operations.findLast((op) => weights[op] > 0) ?? 'browse';
}

/** mulberry32: a small, fast, seedable generator, so a run can be repeated. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const words = [
  'blue',
  'night',
  'river',
  'gold',
  'echo',
  'summer',
  'city',
  'dream',
  'fire',
  'ocean',
  'silver',
  'rain',
  'highway',
  'velvet',
  'moon',
  'paper',
  'neon',
  'wild',
  'glass',
  'heart',
];
const artists = ['The Meshes', 'Envoy Quartet', 'Sidecar', 'Pilot Wave', 'Kiali Blue', 'Canary Row'];
const sortFields = ['title', 'artist', 'album', 'durationMs', 'createdAt'] as const;

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

function capitalised(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

export function newTrack(random: () => number): {
  title: string;
  artist: string;
  album: string;
  durationMs: number;
} {
  return {
    title: `${capitalised(pick(words, random))} ${capitalised(pick(words, random))}`,
    artist: pick(artists, random),
    album: `${capitalised(pick(words, random))} Sessions`,
    durationMs: 120_000 + Math.floor(random() * 240_000),
  };
}

export function searchTerm(random: () => number): string {
  return pick(words, random);
}

/** `page=2&size=20&sort=artist,desc`, a page within what the list said it holds. */
export function browseQuery(random: () => number, totalTracks: number): string {
  const size = 20;
  const pages = Math.max(1, Math.min(50, Math.ceil(totalTracks / size)));
  const page = Math.floor(random() * pages);
  const sort = `${pick(sortFields, random)},${random() < 0.5 ? 'asc' : 'desc'}`;
  return `page=${page}&size=${size}&sort=${encodeURIComponent(sort)}`;
}

/**
 * Track ids seen so far, shared by all users; those listed with a `rating` can be rated. v3 lists
 * Spotify tracks (`source: "spotify"`, `id` a Spotify id, `libraryId` once saved): their ids are
 * kept apart, for `save`.
 */
export class Catalog {
  readonly #ids: string[] = [];
  readonly #ratable: string[] = [];
  readonly #spotify: string[] = [];
  readonly #limit: number;
  totalTracks = 0;

  constructor(limit = 2000) {
    this.#limit = limit;
  }

  /** From a list answer (v2+ items carry `rating`). */
  learn(items: unknown): void {
    if (!Array.isArray(items)) return;
    for (const item of items as { id?: unknown; source?: unknown; libraryId?: unknown; rating?: unknown }[]) {
      if (typeof item?.id !== 'string') continue;
      let id: unknown = item.id;
      if (item.source === 'spotify') {
        remember(this.#spotify, item.id, this.#limit);
        id = item.libraryId;
      }
      if (typeof id !== 'string') continue;
      remember(this.#ids, id, this.#limit);
      if (item.rating !== undefined) remember(this.#ratable, id, this.#limit);
    }
  }

  add(id: string): void {
    remember(this.#ids, id, this.#limit);
  }

  anyTrack(random: () => number): string | undefined {
    return this.#ids.length === 0 ? undefined : pick(this.#ids, random);
  }

  spotifyTrack(random: () => number): string | undefined {
    return this.#spotify.length === 0 ? undefined : pick(this.#spotify, random);
  }

  ratableTrack(random: () => number): string | undefined {
    return this.#ratable.length === 0 ? undefined : pick(this.#ratable, random);
  }
}

function remember(list: string[], id: string, limit: number): void {
  if (list.includes(id)) return;
  if (list.length >= limit) list.splice(Math.floor(limit / 2), 1);
  list.push(id);
}
