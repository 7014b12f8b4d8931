/**
 * The folder graph of src/ has no cycles (issue 15): each folder under src/ is one concern, and a
 * reader can order them from the bottom (config, store, keys, identity…) to the edge (http) and
 * the composition root (src/gateway.ts, src/services.ts). Every import counts, `import type` and
 * dynamic `import()` included: a type-only cycle is still a knot a change has to untie.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
const ROOT = '(root)';

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const folderOf = (file: string): string => {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? (parts[0] ?? ROOT) : ROOT;
};

/** folder → folder → the imports (file: specifier) that make the edge. */
function folderGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    if (!graph.has(from)) graph.set(from, new Map());
    for (const imported of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), imported.fileName);
      if (!target.startsWith(SRC + sep)) continue;
      const to = folderOf(target);
      if (to === from) continue;
      const edges = graph.get(from)!;
      edges.set(to, [...(edges.get(to) ?? []), `${relative(SRC, file)}: ${imported.fileName}`]);
    }
  }
  return graph;
}

/** Tarjan's strongly connected components; a component of more than one folder is a cycle. */
function cycles(graph: Map<string, Map<string, string[]>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

describe('src/ folder graph', () => {
  it('finds the imports it is meant to judge (a parser that saw nothing would pass anything)', () => {
    const graph = folderGraph();
    expect(graph.size).toBeGreaterThan(10);
    expect([...(graph.get(ROOT)?.keys() ?? [])]).toContain('http');
    // a type-only import and a dynamic import count like any other
    const typeOnly = ts.preProcessFile("import type { A } from '../a/x.js'; const b = await import('../b/y.js');", true, true);
    expect(typeOnly.importedFiles.map((file) => file.fileName)).toEqual(['../a/x.js', '../b/y.js']);
  });

  it('has no cycle between folders, type-only and dynamic imports included', () => {
    const graph = folderGraph();
    const report = cycles(graph).map((component) => {
      const inside = new Set(component);
      const edges = component.flatMap((from) =>
        [...(graph.get(from)?.entries() ?? [])]
          .filter(([to]) => inside.has(to))
          .map(([to, via]) => `  ${from} → ${to} (${via.length}): ${via.slice(0, 3).join(', ')}${via.length > 3 ? ', …' : ''}`),
      );
      return [`cycle through ${component.join(', ')}:`, ...edges].join('\n');
    });
    expect(report.join('\n\n'), 'folder-level import cycles').toBe('');
  });
});
