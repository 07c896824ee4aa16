import { type Song, songs } from './songs.ts';
import { spotifyId } from './spotify-id.ts';

export interface CatalogArtist {
  id: string;
  name: string;
}

export interface CatalogAlbum {
  id: string;
  name: string;
  year: number;
  artists: readonly CatalogArtist[];
}

export interface CatalogTrack {
  id: string;
  name: string;
  artists: readonly CatalogArtist[];
  album: CatalogAlbum;
  durationMs: number;
  popularity: number;
}

/** The tracks in a fixed order (most popular first), indexed by id; built once from `songs.ts`. */
export class Catalog {
  readonly tracks: readonly CatalogTrack[];
  readonly #byId: ReadonlyMap<string, CatalogTrack>;
  readonly #albums: ReadonlyMap<string, CatalogAlbum>;

  constructor(source: readonly Song[] = songs) {
    const albums = new Map<string, CatalogAlbum>();
    const tracks = source.map((song) => toTrack(song, albums));
    tracks.sort((a, b) => b.popularity - a.popularity || a.id.localeCompare(b.id));
    this.tracks = tracks;
    this.#byId = new Map(tracks.map((track) => [track.id, track]));
    this.#albums = new Map([...albums.values()].map((album) => [album.id, album]));
  }

  track(id: string): CatalogTrack | undefined {
    return this.#byId.get(id);
  }

  album(id: string): CatalogAlbum | undefined {
    return this.#albums.get(id);
  }
}

function toTrack(song: Song, albums: Map<string, CatalogAlbum>): CatalogTrack {
  const [title, names, albumName, year, duration, popularity] = song;
  const artists = (typeof names === 'string' ? [names] : names).map((name) => ({
    id: spotifyId(`artist:${name}`),
    name,
  }));
  const main = artists[0]?.name ?? '';
  const albumKey = `album:${main}:${albumName}`;
  let album = albums.get(albumKey);
  if (!album) {
    album = { id: spotifyId(albumKey), name: albumName, year, artists: artists.slice(0, 1) };
    albums.set(albumKey, album);
  }
  const [minutes = 0, seconds = 0] = duration.split(':').map(Number);
  return {
    id: spotifyId(`track:${main}:${title}`),
    name: title,
    artists,
    album,
    durationMs: (minutes * 60 + seconds) * 1000,
    popularity,
  };
}
