// Imports flow one way (docs/architecture.md): entry points → app → features → platform; no feature
// reads another feature's queries module; no import cycle, type-only ones included. Runs inside
// `bun run test` (so in CI on both databases' runs); alone: `bun run lint:imports`.
import { describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildGraph,
  LAYERS,
  scanImports,
  SRC,
  staleAllowlistEntries,
  TEMPORARY_ALLOWLIST,
  violations,
  type ImportEdge,
  type ImportGraph,
} from './support/import-graph.ts';

const graph = buildGraph();

/** The real graph with extra files and imports, as a planted violation would add them. */
function planted(extra: Partial<ImportEdge>[], files: string[] = []): ImportGraph {
  const edges = extra.map((e) => ({ from: '', to: '', typeOnly: false, line: 1, ...e }));
  return { files: [...graph.files, ...files], edges: [...graph.edges, ...edges], unresolved: graph.unresolved };
}

describe('the import graph of src/', () => {
  it('has no uphill import, no foreign queries import and no cycle (type-only imports included)', () => {
    // The failure message lists every violation as "rule: src/from:line -> src/to".
    expect(violations(graph)).toEqual([]);
  });

  it('the temporary allowlist names only imports that still exist (delete an entry once it is fixed)', () => {
    expect(staleAllowlistEntries(graph)).toEqual([]);
  });

  it('is not empty: the scanner found the files and their imports, type-only ones among them', () => {
    expect(graph.files.length).toBeGreaterThan(50);
    expect(graph.edges.length).toBeGreaterThan(graph.files.length);
    expect(graph.edges.some((e) => e.typeOnly)).toBe(true);
  });

  it("finds every relative import that Bun's own scanner finds (which sees value imports only)", () => {
    const transpiler = new Bun.Transpiler({ loader: 'ts' });
    const missed: string[] = [];
    for (const file of graph.files) {
      const source = readFileSync(join(SRC, file), 'utf8');
      const ours = new Set(scanImports(source).map((i) => i.specifier));
      for (const theirs of transpiler.scanImports(source)) {
        if (theirs.path.startsWith('.') && !ours.has(theirs.path)) missed.push(`src/${file}: ${theirs.path}`);
      }
    }
    expect(missed).toEqual([]);
  });
});

describe('the import scanner', () => {
  it('reads type-only, multi-line, re-export, side-effect and dynamic imports', () => {
    const source = [
      "import { a } from './a.ts';",
      "import type { B } from './b.ts';",
      "import { type C, type D } from './c.ts';",
      "import { type E, f } from './e.ts';",
      'import {',
      '  g,',
      '  h,',
      "} from './g.ts';",
      "import * as ns from './ns.ts';",
      "import def, { i } from './def.ts';",
      "export { j } from './j.ts';",
      "export type { K } from './k.ts';",
      "export * from './all.ts';",
      "import './side-effect.ts';",
      "const lazy = await import('./lazy.ts');",
      "type T = typeof import('./typeof.ts');",
      "// import { notAnImport } from './comment.ts';",
    ].join('\n');
    const found = scanImports(source).map((i) => `${i.specifier}${i.typeOnly ? ' type' : ''}`);
    expect(found).toEqual(
      expect.arrayContaining([
        './a.ts',
        './b.ts type',
        './c.ts type',
        './e.ts',
        './g.ts',
        './ns.ts',
        './def.ts',
        './j.ts',
        './k.ts type',
        './all.ts',
        './side-effect.ts',
        './lazy.ts',
        './typeof.ts type',
      ]),
    );
    expect(found).not.toContain('./comment.ts');
    expect(scanImports(source).find((i) => i.specifier === './g.ts')?.line).toBe(5);
  });
});

describe('each rule reports a planted violation', () => {
  const only = (g: ImportGraph) => violations(g).filter((v) => !violations(graph).includes(v));

  it('platform importing a feature', () => {
    expect(only(planted([{ from: 'http/body.ts', to: 'tenants/tenants.ts', typeOnly: true }]))).toEqual([
      'uphill: src/http/body.ts:1 -> src/tenants/tenants.ts (type-only) (platform http/ imports feature tenants/)',
    ]);
  });

  it('a feature importing the app, and the app importing an entry point', () => {
    // Both also close a cycle (server → runtime → app → sessions/routes), reported as well.
    const found = only(
      planted([
        { from: 'sessions/routes.ts', to: 'runtime.ts' },
        { from: 'app.ts', to: 'server.ts' },
      ]),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'uphill: src/sessions/routes.ts:1 -> src/runtime.ts (feature sessions/ imports app runtime.ts)',
        'uphill: src/app.ts:1 -> src/server.ts (app app.ts imports entry server.ts)',
      ]),
    );
    expect(found.filter((v) => v.startsWith('cycle: '))).toHaveLength(1);
  });

  it('the split mail/ folder: its transport (platform) importing its outbox (feature)', () => {
    expect(only(planted([{ from: 'mail/transport.ts', to: 'mail/outbox.ts', typeOnly: true }]))[0]).toStartWith(
      'uphill: src/mail/transport.ts:1 -> src/mail/outbox.ts (type-only) (platform mail/transport.ts imports feature mail/outbox.ts)',
    );
  });

  it("a feature importing another feature's queries module", () => {
    expect(only(planted([{ from: 'access/routes.ts', to: 'sessions/queries.ts' }]))).toEqual([
      'foreign queries: src/access/routes.ts:1 -> src/sessions/queries.ts (queries modules are for their own folder)',
    ]);
  });

  it('a cycle made by a type-only import', () => {
    const existing = graph.edges.find((e) => e.from === 'http/request-context.ts' && e.to === 'http/text-fields.ts')!;
    expect(existing).toBeDefined();
    const found = only(planted([{ from: existing.to, to: existing.from, typeOnly: true }]));
    expect(found).toHaveLength(1);
    expect(found[0]).toStartWith('cycle: src/http/request-context.ts, src/http/text-fields.ts — ');
    expect(found[0]).toContain('src/http/text-fields.ts:1 -> src/http/request-context.ts (type-only)');
  });

  it('a file in no layer, and an import that resolves to no file of src/', () => {
    const g = planted([], ['newfolder/thing.ts']);
    g.unresolved = [...g.unresolved, { from: 'app.ts', to: 'http/missing.ts', typeOnly: false, line: 3 }];
    expect(only(g)).toEqual([
      'unlayered: src/newfolder/thing.ts is in no layer (add it to LAYERS in test/support/import-graph.ts and docs/architecture.md)',
      'unresolved: src/app.ts:3 -> src/http/missing.ts is not a .ts file of src/',
    ]);
  });

  it('an allowlisted pair is skipped, and reported once it no longer occurs', () => {
    const g = planted([{ from: 'http/body.ts', to: 'tenants/tenants.ts' }]);
    const allow = [...TEMPORARY_ALLOWLIST, 'http/body.ts -> tenants/tenants.ts'];
    expect(violations(g, allow)).toEqual(violations(graph));
    expect(staleAllowlistEntries(graph, ['http/body.ts -> tenants/tenants.ts'])).toEqual(['http/body.ts -> tenants/tenants.ts']);
  });
});

describe('docs/architecture.md', () => {
  it('has one line per folder or file of the layer map, naming its layer', () => {
    const doc = readFileSync(join(SRC, '../docs/architecture.md'), 'utf8');
    const block = /## Layers[\s\S]*?```text\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const documented: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const match = /^\s*src\/(\S+)\s+(entry|app|feature|platform)\s/.exec(line);
      if (match) documented[match[1]!] = match[2]!;
    }
    expect(documented).toEqual(LAYERS);
  });
});
