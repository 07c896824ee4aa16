import type { SpotifyTrack } from '../spotify/schema.ts';
import type { Track } from './schema.ts';

/** Spotify's track object in our API's shape; the Spotify id doubles as our id. */
export function toTrack(track: SpotifyTrack): Track {
  const year = Number.parseInt(track.album.release_date?.slice(0, 4) ?? '', 10);
  return {
    id: track.id,
    title: track.name,
    artist: track.artists.map((artist) => artist.name).join(', '),
    album: track.album.name || null,
    durationMs: track.duration_ms,
    spotifyId: track.id,
    popularity: track.popularity ?? null,
    // Spotify lists images widest first.
    albumArtUrl: track.album.images[0]?.url ?? null,
    previewUrl: track.preview_url ?? null,
    releaseYear: Number.isNaN(year) ? null : year,
  };
}
