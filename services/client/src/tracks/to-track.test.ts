import { describe, expect, it } from 'vitest';
import { toTrack } from './to-track.ts';

describe('toTrack', () => {
  it('maps a Spotify track to our shape, joining artists and taking the widest image', () => {
    expect(
      toTrack({
        id: '3n3Ppam7vgaVa1iaRUc9Lp',
        name: 'Mr. Brightside',
        artists: [{ name: 'The Killers' }, { name: 'Guest' }],
        album: {
          name: 'Hot Fuss',
          release_date: '2004-06-07',
          images: [{ url: 'https://i/640' }, { url: 'https://i/64' }],
        },
        duration_ms: 222_075,
        popularity: 87,
        preview_url: null,
      }),
    ).toEqual({
      id: '3n3Ppam7vgaVa1iaRUc9Lp',
      title: 'Mr. Brightside',
      artist: 'The Killers, Guest',
      album: 'Hot Fuss',
      durationMs: 222_075,
      spotifyId: '3n3Ppam7vgaVa1iaRUc9Lp',
      popularity: 87,
      albumArtUrl: 'https://i/640',
      previewUrl: null,
      releaseYear: 2004,
    });
  });

  it('leaves out what Spotify did not send', () => {
    const track = toTrack({
      id: 'x',
      name: 'n',
      artists: [],
      album: { name: '', images: [] },
      duration_ms: 1,
    });
    expect(track).toMatchObject({
      album: null,
      albumArtUrl: null,
      previewUrl: null,
      popularity: null,
      releaseYear: null,
    });
  });
});
