import { describe, expect, it } from 'vitest';
import { featuresOf } from './features.ts';

describe('featuresOf', () => {
  it('gives v1 tracks only, v2 ratings and search, v3 Spotify, and later versions everything v3 has', () => {
    expect(featuresOf('v1')).toEqual({ tracks: true, ratings: false, search: false, spotify: false });
    expect(featuresOf('v2')).toEqual({ tracks: true, ratings: true, search: true, spotify: false });
    expect(featuresOf('v3')).toEqual({ tracks: true, ratings: true, search: true, spotify: true });
    expect(featuresOf('v9')).toMatchObject({ tracks: true, ratings: true, search: true, spotify: true });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(featuresOf('v2'))).toBe(true);
  });

  it('refuses v0', () => {
    expect(() => featuresOf('v0')).toThrow(/unknown version/);
  });
});
