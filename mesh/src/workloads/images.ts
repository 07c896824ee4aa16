/**
 * Which local program plays each container image. The one place to edit when a new image
 * joins deploy/: entry points are relative to the repository root and run with Node's type
 * stripping; `database` images are replaced by the runtime's own PostgreSQL.
 */
export type LocalImage = { readonly kind: 'node'; readonly entry: string } | { readonly kind: 'database' };

export type ImageTable = Readonly<Record<string, LocalImage>>;

export const localImages: ImageTable = Object.freeze({
  'music/front': { kind: 'node', entry: 'services/front/src/server.ts' },
  'music/back': { kind: 'node', entry: 'services/back/src/server.ts' },
  'music/client': { kind: 'node', entry: 'services/client/src/server.ts' },
  'music/spotify-sandbox': { kind: 'node', entry: 'services/spotify-sandbox/src/server.ts' },
  postgres: { kind: 'database' },
});

/** `music/back:0.1.0` → `music/back`; `registry:5000/x@sha256:…` → `registry:5000/x`. */
export function imageName(image: string): string {
  const digest = image.indexOf('@');
  const withoutDigest = digest === -1 ? image : image.slice(0, digest);
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}
