import type { CatalogAlbum, CatalogArtist, CatalogTrack } from '../catalog/catalog.ts';

/**
 * The Web API's track object (with simplified album and artists), addressed under `origin`:
 * the sandbox's own URL stands where Spotify puts `https://api.spotify.com` and its image CDN.
 */
export function trackObject(track: CatalogTrack, origin: string) {
  const href = `${origin}/v1/tracks/${track.id}`;
  return {
    album: albumObject(track.album, origin),
    artists: track.artists.map((artist) => artistObject(artist, origin)),
    available_markets: [],
    disc_number: 1,
    duration_ms: track.durationMs,
    explicit: false,
    external_ids: {},
    external_urls: { spotify: href },
    href,
    id: track.id,
    is_local: false,
    name: track.name,
    popularity: track.popularity,
    // Spotify returns null previews for apps created since late 2024; the sandbox does the same.
    preview_url: null,
    track_number: 1,
    type: 'track',
    uri: `spotify:track:${track.id}`,
  };
}

function albumObject(album: CatalogAlbum, origin: string) {
  const href = `${origin}/v1/albums/${album.id}`;
  const image = `${origin}/images/${album.id}.svg`;
  return {
    album_type: 'album',
    artists: album.artists.map((artist) => artistObject(artist, origin)),
    available_markets: [],
    external_urls: { spotify: href },
    href,
    id: album.id,
    images: [640, 300, 64].map((size) => ({ url: image, height: size, width: size })),
    name: album.name,
    release_date: String(album.year),
    release_date_precision: 'year',
    type: 'album',
    uri: `spotify:album:${album.id}`,
  };
}

function artistObject(artist: CatalogArtist, origin: string) {
  const href = `${origin}/v1/artists/${artist.id}`;
  return {
    external_urls: { spotify: href },
    href,
    id: artist.id,
    name: artist.name,
    type: 'artist',
    uri: `spotify:artist:${artist.id}`,
  };
}
