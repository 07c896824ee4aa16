import { describe, expect, it } from 'vitest';
import { imageName, localImages } from './images.ts';

describe('imageName', () => {
  it('drops the tag or digest, not a registry port', () => {
    expect(imageName('music/back:0.1.0')).toBe('music/back');
    expect(imageName('postgres:18')).toBe('postgres');
    expect(imageName('registry.local:5000/music/front')).toBe('registry.local:5000/music/front');
    expect(imageName('registry.local:5000/music/front:1@sha256:abc')).toBe('registry.local:5000/music/front');
  });

  it('maps the app images to their entry points and postgres to the embedded database', () => {
    expect(localImages['music/front']).toEqual({ kind: 'node', entry: 'services/front/src/server.ts' });
    expect(localImages['music/back']).toEqual({ kind: 'node', entry: 'services/back/src/server.ts' });
    expect(localImages.postgres).toEqual({ kind: 'database' });
  });

  it('maps the Spotify side of back v3 (deploy/steps/3-mirror-v3) to client and the sandbox', () => {
    expect(localImages['music/client']).toEqual({ kind: 'node', entry: 'services/client/src/server.ts' });
    expect(localImages['music/spotify-sandbox']).toEqual({
      kind: 'node',
      entry: 'services/spotify-sandbox/src/server.ts',
    });
  });
});
