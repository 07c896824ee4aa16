import { ValidationError } from '@music/service-kit';
import type { NewSpotifyTrack, TrackRepository } from '../tracks/repository.ts';
import type { LibraryTrack, ListItem } from '../tracks/schema.ts';
import type { ClientApi, ForwardedHeaders, SpotifyTrack } from './client-api.ts';

/** Spotify's bounds: at most 50 tracks a call, and no offset past 1000. */
const MAX_LIMIT = 50;
const MAX_OFFSET = 1000;

export interface CatalogQuery {
  /** Blank: the default query (SPOTIFY_DEFAULT_QUERY). */
  q: string | undefined;
  page: number;
  size: number;
}

export interface CatalogPage {
  items: ListItem[];
  /** The tracks a client can page to: Spotify's total, capped where Spotify stops paging. */
  total: number;
  /** client's X-Cache of the first call: HIT, MISS or STALE. */
  cache: string | undefined;
}

/**
 * back v3's view of Spotify: pages of the catalog through `client`, each track marked with the
 * library track saved from it (and that track's ratings), and saving a track to the library.
 */
export class SpotifyCatalog {
  readonly #client: ClientApi;
  readonly #defaultQuery: string;

  constructor(client: ClientApi, defaultQuery: string) {
    this.#client = client;
    this.#defaultQuery = defaultQuery;
  }

  /** `page`/`size` become client's `offset`/`limit`; a size over 50 takes several calls. */
  async page(
    query: CatalogQuery,
    tracks: TrackRepository,
    forwarded: ForwardedHeaders,
    ratingsFor: string | undefined,
  ): Promise<CatalogPage> {
    const offset = query.page * query.size;
    if (offset > MAX_OFFSET)
      throw new ValidationError([
        { field: 'page', message: `the Spotify catalog pages up to track ${MAX_OFFSET}` },
      ]);
    const q = query.q?.trim() || this.#defaultQuery;
    const calls = [];
    for (let at = offset; at < offset + query.size && at <= MAX_OFFSET; at += MAX_LIMIT) {
      const limit = Math.min(MAX_LIMIT, offset + query.size - at);
      calls.push(this.#client.search({ q, limit, offset: at }, forwarded));
    }
    const pages = await Promise.all(calls);
    const found = pages.flatMap((page) => page.items);
    const library = await tracks.librarySpotifyTracks(
      found.map((track) => track.spotifyId),
      ratingsFor,
    );
    const items = found.map((track): ListItem => {
      const saved = library.get(track.spotifyId);
      return {
        ...track,
        source: 'spotify',
        libraryId: saved?.id ?? null,
        ...(saved?.rating ? { rating: saved.rating } : {}),
      };
    });
    const total = Math.min(pages[0]?.total ?? 0, MAX_OFFSET + query.size);
    return { items, total, cache: pages[0]?.cache };
  }

  /** Saves a Spotify track to the library once; `created` is false when it was there already. */
  async save(
    spotifyId: string,
    tracks: TrackRepository,
    login: string,
    forwarded: ForwardedHeaders,
  ): Promise<{ track: LibraryTrack; created: boolean }> {
    const saved = await tracks.findBySpotifyId(spotifyId);
    if (saved !== null) return { track: saved, created: false };
    const track = await this.#client.track(spotifyId, forwarded);
    return tracks.saveFromSpotify(toNewTrack(track), login);
  }
}

/** Within the library's bounds: 200 characters a name, positive durations, art URLs that fit. */
function toNewTrack(track: SpotifyTrack): NewSpotifyTrack {
  const text = (value: string) => value.trim().slice(0, 200);
  return {
    title: text(track.title) || 'Untitled',
    artist: text(track.artist) || 'Unknown artist',
    album: track.album === null ? null : text(track.album) || null,
    durationMs: track.durationMs !== null && track.durationMs > 0 ? track.durationMs : null,
    spotifyId: track.spotifyId,
    albumArtUrl: track.albumArtUrl !== null && track.albumArtUrl.length <= 2000 ? track.albumArtUrl : null,
  };
}
