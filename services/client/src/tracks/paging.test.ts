import { describe, expect, it } from 'vitest';
import { offsetLinkHeader } from './paging.ts';

describe('offsetLinkHeader', () => {
  it('links first, prev, next and last pages by offset', () => {
    expect(offsetLinkHeader('/s', 'a b', 10, 10, 35)).toBe(
      [
        '</s?q=a+b&limit=10&offset=0>; rel="first"',
        '</s?q=a+b&limit=10&offset=0>; rel="prev"',
        '</s?q=a+b&limit=10&offset=20>; rel="next"',
        '</s?q=a+b&limit=10&offset=30>; rel="last"',
      ].join(', '),
    );
  });

  it('has no prev on the first page and no next on the last, even with no results', () => {
    expect(offsetLinkHeader('/s', 'x', 20, 0, 0)).toBe(
      '</s?q=x&limit=20&offset=0>; rel="first", </s?q=x&limit=20&offset=0>; rel="last"',
    );
  });

  it('stops at Spotify’s offset ceiling of 1000', () => {
    expect(offsetLinkHeader('/s', 'x', 50, 1000, 5000)).not.toContain('rel="next"');
    expect(offsetLinkHeader('/s', 'x', 50, 950, 5000)).toContain('offset=1000>; rel="last"');
  });
});
