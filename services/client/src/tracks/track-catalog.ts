import { NotFoundError } from '@music/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import { SpotifyError } from '../errors.ts';
import type { SearchRequest, SpotifyClient, TraceHeaders } from '../spotify/spotify-client.ts';
import { TtlCache, type TtlCacheOptions } from '../spotify/ttl-cache.ts';
import type { Track } from './schema.ts';
import { toTrack } from './to-track.ts';

export type CacheStatus = 'HIT' | 'MISS' | 'STALE';

export interface Cached<T> {
  value: T;
  cache: CacheStatus;
}

export interface TrackPage {
  items: Track[];
  total: number;
}

/**
 * Tracks from Spotify through a cache: fresh answers are served without a call, and when Spotify
 * fails (5xx, timeout, open circuit, rate limit) an expired answer is served rather than an error.
 */
export class TrackCatalog {
  readonly #spotify: SpotifyClient;
  readonly #cache: TtlCache<TrackPage | Track>;
  readonly #log: FastifyBaseLogger;

  constructor(spotify: SpotifyClient, cache: TtlCacheOptions, log: FastifyBaseLogger) {
    this.#spotify = spotify;
    this.#cache = new TtlCache(cache);
    this.#log = log;
  }

  search(request: SearchRequest, trace: TraceHeaders): Promise<Cached<TrackPage>> {
    const key = `search:${request.limit}:${request.offset}:${request.q}`;
    return this.#cached(key, async () => {
      const { tracks } = await this.#spotify.search(request, trace);
      return { items: tracks.items.map(toTrack), total: tracks.total };
    });
  }

  track(id: string, trace: TraceHeaders): Promise<Cached<Track>> {
    return this.#cached(`track:${id}`, async () => {
      const track = await this.#spotify.track(id, trace);
      if (!track) throw new NotFoundError(`Track ${id} does not exist on Spotify.`);
      return toTrack(track);
    });
  }

  async #cached<T extends TrackPage | Track>(key: string, load: () => Promise<T>): Promise<Cached<T>> {
    const cached = this.#cache.get(key) as { value: T; fresh: boolean } | undefined;
    if (cached?.fresh) return { value: cached.value, cache: 'HIT' };
    try {
      const value = await load();
      this.#cache.set(key, value);
      return { value, cache: 'MISS' };
    } catch (error) {
      if (!cached || !(error instanceof SpotifyError)) throw error;
      this.#log.warn({ code: error.code }, 'Spotify failed; serving a stale answer');
      return { value: cached.value, cache: 'STALE' };
    }
  }
}
