import { describe, expect, it } from 'vitest';
import { parseProfile } from './profile.ts';
import { executableOf, imageName, playerOf } from './programs.ts';

describe('imageName', () => {
  it('drops the tag or digest, not a registry port', () => {
    expect(imageName('music/back:0.1.0')).toBe('music/back');
    expect(imageName('postgres:18')).toBe('postgres');
    expect(imageName('registry.local:5000/music/front')).toBe('registry.local:5000/music/front');
    expect(imageName('registry.local:5000/music/front:1@sha256:abc')).toBe('registry.local:5000/music/front');
  });
});

describe('playerOf', () => {
  const profile = parseProfile(
    '/app/profile.yaml',
    `
kind: LocalProfile
name: App
manifests: [deploy]
namespace: app
database: { name: app, images: [postgres] }
programs:
  shop/api: { command: [node, api.ts] }
  shop/api:2.0: { command: [node, api-next.ts] }
`,
  );

  it('takes the entry naming the image with its tag first, then the one without', () => {
    const command = (image: string) => {
      const player = playerOf(profile, image);
      return player?.kind === 'program' ? player.program.command : player;
    };
    expect(command('shop/api:2.0')).toEqual(['node', 'api-next.ts']);
    expect(command('shop/api:1.0')).toEqual(['node', 'api.ts']);
    expect(command('shop/api')).toEqual(['node', 'api.ts']);
    expect(playerOf(profile, 'postgres:18')).toEqual({ kind: 'database' });
    expect(playerOf(profile, 'shop/web:1')).toBeUndefined();
  });
});

describe('executableOf', () => {
  it("runs node as the runtime's own Node, looks bare names up on PATH and paths in the working directory", async () => {
    expect(await executableOf('node', '/', '')).toBe(process.execPath);
    expect(await executableOf('sh', '/', '/usr/bin:/bin')).toMatch(/\/sh$/);
    expect(await executableOf('sh', '/', '')).toBeUndefined();
    expect(await executableOf('./bin/sh', '/', '')).toBe('/bin/sh');
  });
});
