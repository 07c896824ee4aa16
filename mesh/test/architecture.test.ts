import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const source = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** A module's unit in the architecture: its folder under src/, or the file itself at the top. */
function unitOf(file: string): string {
  const [first = '', ...rest] = relative(source, file).split('/');
  return rest.length > 0 ? first : first.replace(/\.ts$/, '');
}

/** unit → the units its non-test modules import. */
function importGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const entry of readdirSync(source, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const from = unitOf(file);
    const targets = graph.get(from) ?? new Set<string>();
    graph.set(from, targets);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const to = unitOf(resolve(dirname(file), specifier as string));
      if (to !== from) targets.add(to);
    }
  }
  return graph;
}

/** Groups of units that reach each other through imports (Tarjan's strongly connected components). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (unit: string): void => {
    order.set(unit, next);
    low.set(unit, next);
    next++;
    stack.push(unit);
    for (const target of graph.get(unit) ?? []) {
      if (!order.has(target)) {
        visit(target);
        low.set(unit, Math.min(low.get(unit) as number, low.get(target) as number));
      } else if (stack.includes(target)) {
        low.set(unit, Math.min(low.get(unit) as number, order.get(target) as number));
      }
    }
    if (low.get(unit) !== order.get(unit)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      group.push(member);
    } while (member !== unit);
    if (group.length > 1) found.push(group.sort());
  };
  for (const unit of graph.keys()) if (!order.has(unit)) visit(unit);
  return found;
}

describe('the runtime’s module structure', () => {
  it('has no folders that import each other, directly or through others', () => {
    expect(cycles(importGraph())).toEqual([]);
  });

  it('has a DESIGN.md entry for every folder under src/', () => {
    const design = readFileSync(resolve(source, '../DESIGN.md'), 'utf8');
    const folders = readdirSync(source, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.filter((folder) => !design.includes(`mesh/src/${folder}`))).toEqual([]);
  });
});
