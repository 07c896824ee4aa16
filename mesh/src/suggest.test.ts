import { expect, it } from 'vitest';
import { nearest } from './suggest.ts';

it('finds the candidate within two edits or that the word begins, the closest first, else none', () => {
  const names = ['apply', 'get', 'delete', 'analyze', 'explain'];
  expect(nearest('aply', names)).toBe('apply');
  expect(nearest('expl', names)).toBe('explain');
  expect(nearest('GTE', names)).toBe('get');
  expect(nearest('remove', names)).toBeUndefined();
});
