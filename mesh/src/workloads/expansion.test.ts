import { describe, expect, it } from 'vitest';
import { expand, references } from './expansion.ts';

// The cases of kubernetes third_party/forked/golang/expansion/expand_test.go that the runtime meets.
describe('expand', () => {
  const vars: Record<string, string> = { VAR_A: 'A', VAR_B: 'B', EMPTY: '' };
  const lookup = (name: string) => vars[name];

  it('replaces $(NAME) with its value and keeps unknown references as written', () => {
    expect(expand('$(VAR_A)', lookup)).toBe('A');
    expect(expand('___$(VAR_B)___', lookup)).toBe('___B___');
    expect(expand('$(VAR_A)-$(VAR_B)', lookup)).toBe('A-B');
    expect(expand('x$(EMPTY)y', lookup)).toBe('xy');
    expect(expand('$(UNKNOWN)', lookup)).toBe('$(UNKNOWN)');
  });

  it('reads $$ as a literal $, and keeps a $ that starts no reference', () => {
    expect(expand('$$(VAR_A)', lookup)).toBe('$(VAR_A)');
    expect(expand('$$$(VAR_A)', lookup)).toBe('$A');
    expect(expand('$VAR_A', lookup)).toBe('$VAR_A');
    expect(expand('cost: 5$', lookup)).toBe('cost: 5$');
    expect(expand('$(VAR_A', lookup)).toBe('$(VAR_A');
    expect(expand('$()', lookup)).toBe('$()');
  });

  it('lists the names referred to, escaped ones left out', () => {
    expect(references('$(A) $$(B) $(mesh.ingressUrl)/x')).toEqual(['A', 'mesh.ingressUrl']);
  });
});
