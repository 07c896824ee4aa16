import { describe, expect, it } from 'vitest';
import { Catalog } from './catalog.ts';
import { searchTracks } from './search.ts';
import { isSpotifyId, spotifyId } from './spotify-id.ts';

const catalog = new Catalog();

describe('catalog', () => {
  it('holds at least 200 tracks with distinct 22-character base62 ids', () => {
    expect(catalog.tracks.length).toBeGreaterThanOrEqual(200);
    const ids = new Set(catalog.tracks.map((track) => track.id));
    expect(ids.size).toBe(catalog.tracks.length);
    for (const id of ids) expect(isSpotifyId(id)).toBe(true);
  });

  it('derives the same id from the same key, every time', () => {
    expect(spotifyId('track:Radiohead:Creep')).toBe(spotifyId('track:Radiohead:Creep'));
    expect(spotifyId('track:Radiohead:Creep')).not.toBe(spotifyId('track:Radiohead:Karma Police'));
  });

  it('gives plausible durations, years and popularity', () => {
    for (const track of catalog.tracks) {
      expect(track.durationMs).toBeGreaterThan(60_000);
      expect(track.durationMs).toBeLessThan(15 * 60_000);
      expect(track.album.year).toBeGreaterThanOrEqual(1950);
      expect(track.popularity).toBeGreaterThanOrEqual(0);
      expect(track.popularity).toBeLessThanOrEqual(100);
    }
  });

  it('lists the most popular tracks first', () => {
    const popularity = catalog.tracks.map((track) => track.popularity);
    expect(popularity).toEqual([...popularity].sort((a, b) => b - a));
  });
});

describe('searchTracks', () => {
  const names = (q: string) =>
    searchTracks(catalog.tracks, q).map((t) => `${t.artists[0]?.name} - ${t.name}`);

  it('matches free words against track, artist and album names, ignoring case', () => {
    expect(names('karma POLICE')).toEqual(['Radiohead - Karma Police']);
    expect(names('ok computer')).toHaveLength(3);
  });

  it('ignores accents', () => {
    expect(names('beyonce')).toContain('Beyoncé - Crazy in Love');
  });

  it('restricts words to a field with artist:, track: and album:', () => {
    const queen = searchTracks(catalog.tracks, 'artist:queen');
    expect(queen.length).toBeGreaterThan(5);
    for (const track of queen) expect(track.artists.some((a) => /queen/i.test(a.name))).toBe(true);
    expect(names('track:"somebody to love"')).toEqual(
      expect.arrayContaining(['Queen - Somebody to Love', 'Jefferson Airplane - Somebody to Love']),
    );
    expect(names('track:"somebody to love" artist:queen')).toEqual(['Queen - Somebody to Love']);
    expect(names('album:nevermind')).toHaveLength(3);
  });

  it('filters by release year or range', () => {
    const nineties = searchTracks(catalog.tracks, 'artist:radiohead year:1990-1999');
    expect(nineties.map((t) => t.name).sort()).toEqual([
      'Creep',
      'Karma Police',
      'No Surprises',
      'Paranoid Android',
    ]);
  });
});
