// The import graph of src/ and the layer rules of docs/architecture.md, checked by
// test/import-graph.test.ts. A small scanner of our own rather than dependency-cruiser: its TypeScript
// support needs the compiler API of typescript < 7, and this project runs typescript 7 (the native
// port, no such API). Bun's own `Transpiler.scanImports` drops type-only imports, which must count
// here (a type-only cycle is still a cycle), so import lines are read with the patterns below and
// cross-checked against Bun's scanner for the value imports.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

export const SRC = normalize(join(import.meta.dir, '../../src'));

export type Layer = 'entry' | 'app' | 'feature' | 'platform';

/** Higher imports lower, never the reverse. */
const RANK: Record<Layer, number> = { entry: 3, app: 2, feature: 1, platform: 0 };

/**
 * Every module of src/: a path relative to src/ — a folder ending in '/' or one file — and its layer.
 * The most specific entry wins (mail/ is split: its transport is platform, its outbox a feature).
 * docs/architecture.md has one line per entry; the test keeps the two in step.
 */
export const LAYERS: Record<string, Layer> = {
  'server.ts': 'entry',
  'deno.ts': 'entry',
  'cli.ts': 'entry',
  'cli/': 'entry',
  'app.ts': 'app',
  'runtime.ts': 'app',
  'demo-seed.ts': 'app',
  // The contract every feature's routes receive (the AppDeps type, plus sessionTtlFor): imported by
  // the features themselves, importing only types of features and platform and nothing of app.ts or
  // runtime.ts, so it sits with the features despite its name.
  'app-deps.ts': 'feature',
  // The per-request context every route handler receives (an Elysia plugin): it asks the features
  // (tenants, credentials, sessions) lazily, and the features' routes import it.
  'route-context.ts': 'feature',
  'access/': 'feature',
  'handoffs/': 'feature',
  'passkeys/': 'feature',
  'privacy/': 'feature',
  'audit/': 'feature',
  'console/': 'feature',
  'credentials/': 'feature',
  'demo-storefront/': 'feature',
  'diagnostics/': 'feature',
  'idempotency/': 'feature',
  'limits/': 'feature',
  'magic-link/': 'feature',
  'mail/outbox.ts': 'feature',
  'mail/magic-link-mail.ts': 'feature',
  'ops/': 'feature',
  'openapi/': 'feature',
  'sessions/': 'feature',
  'support/': 'feature',
  'tenants/': 'feature',
  'visitors/': 'feature',
  'webhooks/': 'feature',
  'db/': 'platform',
  'tokens/': 'platform',
  'http/': 'platform',
  'i18n/': 'platform',
  'net/': 'platform',
  'metrics/': 'platform',
  'mail/transport.ts': 'platform',
  'mail/smtp-pool.ts': 'platform',
  'mail/mime.ts': 'platform',
  'config.ts': 'platform',
  'errors.ts': 'platform',
  'clock.ts': 'platform',
  'log.ts': 'platform',
};

/**
 * TEMPORARY: known violations in folders another change is reworking (table writes moving to their
 * owners). Exact "from -> to" pairs (paths relative to src/); each must still occur, so an entry
 * that got fixed fails the test until it is deleted here. Remove this list once that change lands.
 */
export const TEMPORARY_ALLOWLIST: readonly string[] = [];

export type ImportEdge = { from: string; to: string; typeOnly: boolean; line: number };

type ScannedImport = { specifier: string; typeOnly: boolean; line: number };

// `import … from '…'` and `export … from '…'`: the clause between keyword and `from` is a default
// name, `* as x`, `{ … }` (possibly over several lines) or a combination; `type` makes it type-only.
const FROM_CLAUSE =
  /^[ \t]*(import|export)[ \t]+(type[ \t]+)?((?:[\w$]+[ \t]*,?[ \t]*)?(?:\*(?:[ \t]+as[ \t]+[\w$]+)?|\{[^}]*\})?)[ \t]*from[ \t]*(['"])([^'"\n]+)\4/gm;
// `import '…'` for its side effects.
const BARE_IMPORT = /^[ \t]*import[ \t]*(['"])([^'"\n]+)\1/gm;
// `import('…')`, both the dynamic import and the `typeof import('…')` type.
const DYNAMIC_IMPORT = /\bimport\(\s*(['"])([^'"\n]+)\1\s*\)/g;

function lineAt(source: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

/** A clause of named bindings that are all `type X`: `import { type A, type B } from` erases too. */
function allNamesTypeOnly(clause: string): boolean {
  const braces = /^\{([^}]*)\}$/.exec(clause.trim());
  if (!braces) return false;
  const names = braces[1]!
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  return names.length > 0 && names.every((n) => n.startsWith('type '));
}

/** Every import of one module's source, type-only ones included and marked. */
export function scanImports(source: string): ScannedImport[] {
  const found: ScannedImport[] = [];
  for (const m of source.matchAll(FROM_CLAUSE)) {
    const typeOnly = Boolean(m[2]) || allNamesTypeOnly(m[3] ?? '');
    found.push({ specifier: m[5]!, typeOnly, line: lineAt(source, m.index!) });
  }
  for (const m of source.matchAll(BARE_IMPORT)) found.push({ specifier: m[2]!, typeOnly: false, line: lineAt(source, m.index!) });
  for (const m of source.matchAll(DYNAMIC_IMPORT)) {
    // `typeof import('…')` is a type; a bare `import('…')` loads the module.
    const before = source.slice(Math.max(0, m.index! - 8), m.index!);
    found.push({ specifier: m[2]!, typeOnly: /typeof\s*$/.test(before), line: lineAt(source, m.index!) });
  }
  return found;
}

/** The .ts files of src/, as paths relative to src/, sorted. */
export function sourceFiles(root = SRC): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(relative(root, path));
    }
  };
  walk(root);
  return files.sort();
}

export type ImportGraph = { files: string[]; edges: ImportEdge[]; unresolved: ImportEdge[] };

/** Relative imports between files of src/ (packages and node: built-ins are not part of the layers). */
export function buildGraph(root = SRC, read = (file: string) => readFileSync(join(root, file), 'utf8')): ImportGraph {
  const files = sourceFiles(root);
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  const unresolved: ImportEdge[] = [];
  for (const from of files) {
    for (const imp of scanImports(read(from))) {
      if (!imp.specifier.startsWith('.')) continue;
      const to = normalize(join(dirname(from), imp.specifier));
      const edge = { from, to, typeOnly: imp.typeOnly, line: imp.line };
      (known.has(to) ? edges : unresolved).push(edge);
    }
  }
  return { files, edges, unresolved };
}

/** The LAYERS entry a file belongs to (its most specific one), or null when none covers it. */
function moduleOf(file: string): { key: string; layer: Layer } | null {
  if (LAYERS[file]) return { key: file, layer: LAYERS[file] };
  const folder = file.includes('/') ? `${file.slice(0, file.lastIndexOf('/'))}/` : null;
  if (folder && LAYERS[folder]) return { key: folder, layer: LAYERS[folder] };
  const top = file.includes('/') ? `${file.split('/')[0]}/` : null;
  if (top && LAYERS[top]) return { key: top, layer: LAYERS[top] };
  return null;
}

/** `queries.ts` and `*-queries.ts`: a feature's SQL, for its own folder only. */
function isQueriesModule(file: string): boolean {
  const name = file.slice(file.lastIndexOf('/') + 1);
  return name === 'queries.ts' || name.endsWith('-queries.ts');
}

const folderOf = (file: string) => (file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '');

/** Import cycles: strongly connected components of more than one file (or a file importing itself). */
function findCycles(files: readonly string[], edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  // Tarjan's algorithm, iterative enough for a source tree (recursion depth = longest import chain).
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (next.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const f of files) if (!indexOf.has(f)) visit(f);
  return cycles;
}

const describe = (e: ImportEdge) => `src/${e.from}:${e.line} -> src/${e.to}${e.typeOnly ? ' (type-only)' : ''}`;
const pairOf = (e: ImportEdge) => `${e.from} -> ${e.to}`;

/**
 * The rules, as one message per violation (empty when the tree is clean):
 * - every file of src/ belongs to a layer, every relative import resolves to a file of src/;
 * - imports go downhill: entry → app → feature → platform, never up;
 * - a `queries.ts`/`*-queries.ts` module is imported only from its own folder;
 * - no import cycles, type-only imports included.
 * An edge in `allowlist` ("from -> to") is left out of every rule, cycles included.
 */
export function violations(graph: ImportGraph, allowlist: readonly string[] = TEMPORARY_ALLOWLIST): string[] {
  const found: string[] = [];
  const allowed = new Set(allowlist);
  for (const file of graph.files) {
    if (!moduleOf(file))
      found.push(`unlayered: src/${file} is in no layer (add it to LAYERS in test/support/import-graph.ts and docs/architecture.md)`);
  }
  for (const e of graph.unresolved) found.push(`unresolved: ${describe(e)} is not a .ts file of src/`);
  const edges = graph.edges.filter((e) => !allowed.has(pairOf(e)));
  for (const e of edges) {
    const from = moduleOf(e.from);
    const to = moduleOf(e.to);
    if (from && to && RANK[to.layer] > RANK[from.layer]) {
      found.push(`uphill: ${describe(e)} (${from.layer} ${from.key} imports ${to.layer} ${to.key})`);
    }
    if (isQueriesModule(e.to) && folderOf(e.to) !== folderOf(e.from)) {
      found.push(`foreign queries: ${describe(e)} (queries modules are for their own folder)`);
    }
  }
  for (const cycle of findCycles(graph.files, edges)) {
    const inCycle = new Set(cycle);
    const links = edges.filter((e) => inCycle.has(e.from) && inCycle.has(e.to)).map(describe);
    found.push(`cycle: ${cycle.map((f) => `src/${f}`).join(', ')} — ${links.join('; ')}`);
  }
  return found;
}

/** Allowlist entries that no longer match an import (fixed): they must be deleted. */
export function staleAllowlistEntries(graph: ImportGraph, allowlist: readonly string[] = TEMPORARY_ALLOWLIST): string[] {
  const pairs = new Set(graph.edges.map(pairOf));
  return allowlist.filter((entry) => !pairs.has(entry));
}
