import { createHash } from 'node:crypto';

/**
 * A square SVG cover with the album's initials on a colour derived from its id: album art with no
 * image files and no outside CDN, the same for every replica.
 */
export function coverSvg(albumId: string, albumName: string): string {
  const hue = createHash('sha256').update(albumId).digest()[0] ?? 0;
  const initials = albumName
    .split(/\s+/)
    .map((word) => word.replace(/[^\p{L}\p{N}]/gu, '').charAt(0))
    .filter(Boolean)
    .slice(0, 2)
    .join('')
    .toUpperCase();
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="640" viewBox="0 0 640 640">',
    `<rect width="640" height="640" fill="hsl(${Math.round((hue / 255) * 360)} 55% 40%)"/>`,
    `<text x="320" y="320" dy="0.35em" text-anchor="middle" font-family="sans-serif" font-size="240" fill="#fff">${escapeXml(initials || '♪')}</text>`,
    '</svg>',
  ].join('');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
