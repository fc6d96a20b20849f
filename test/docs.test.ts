// The docs point at tests by name; if a test is renamed or removed, the pointer must not rot.
import { describe, expect, it } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';

describe('docs/security.md', () => {
  it('names only tests that exist', () => {
    const doc = readFileSync(new URL('../docs/security.md', import.meta.url), 'utf8');
    const cells = doc.split('\n').filter((line) => line.startsWith('|'));
    let checked = 0;
    for (const cell of cells) {
      for (const ref of cell.matchAll(/`(test\/[\w/.-]+\.test\.ts)`((?:\s*"[^"]+",?)*)/g)) {
        const file = new URL(`../${ref[1]}`, import.meta.url);
        expect([ref[1], existsSync(file)]).toEqual([ref[1], true]);
        const source = readFileSync(file, 'utf8');
        for (const quoted of ref[2]!.matchAll(/"([^"]+)"/g)) {
          const name = quoted[1]!.replace(/^…\s*|\s*…$/g, '');
          expect([ref[1], name, source.includes(name)]).toEqual([ref[1], name, true]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe('docs/api.md', () => {
  const doc = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');

  it('names every route of the app', async () => {
    const { buildApp } = await import('../src/app.ts');
    const { EDGE_PATH } = await import('../src/access/edge.ts');
    const { loadConfig } = await import('../src/config.ts');
    const { createLogger } = await import('../src/log.ts');
    const { DevMailbox } = await import('../src/mail/transport.ts');
    const { Metrics } = await import('../src/metrics/metrics.ts');
    type Deps = Parameters<typeof buildApp>[0];
    // Building the app does no I/O; development with a dev mailbox also mounts /_dev/mailbox.
    const deps = {
      config: loadConfig({ NODE_ENV: 'development' }),
      devMailbox: new DevMailbox(),
      logger: createLogger('error', () => {}),
      metrics: new Metrics(),
    };
    const app = buildApp(deps as unknown as Deps);
    const routes = app.elysia.routes.map((route) => ({ method: String(route.method), path: String(route.path) }));
    routes.push({ method: 'GET', path: EDGE_PATH }); // answered before Elysia's routing
    expect(routes.length).toBeGreaterThan(30);
    const missing: string[] = [];
    for (const { method, path } of routes) {
      const documented = path.replace(/:(\w+)/g, '{$1}'); // `/sessions/:id` is written `/sessions/{id}`
      const escaped = documented.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      // `GET /console/` must not be satisfied by `GET /console/find`: the path ends where the mention ends.
      const mention = method === 'ALL' ? new RegExp(`\`${escaped}\``) : new RegExp(`${method} ${escaped}(?![\\w/{}:*-])`);
      if (!mention.test(doc)) missing.push(`${method} ${documented}`);
    }
    expect(missing).toEqual([]);
  });

  it('links only to files and headings inside the repository', () => {
    const root = new URL('../', import.meta.url);
    const base = new URL('../docs/', import.meta.url);
    const slug = (heading: string) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-');
    const anchorsOf = (text: string) =>
      new Set(
        text
          .split('\n')
          .filter((line) => /^#{1,6} /.test(line))
          .map((line) => slug(line.replace(/^#+ /, ''))),
      );
    let checked = 0;
    for (const [, target] of doc.matchAll(/\]\(([^)\s]+)\)/g)) {
      const [file, anchor] = target!.split('#') as [string, string | undefined];
      expect([target, /^[a-z][a-z0-9+.-]*:/i.test(target!)]).toEqual([target, false]); // no http(s):, mailto: …
      const url = new URL(file || 'api.md', base);
      expect([target, url.href.startsWith(root.href)]).toEqual([target, true]);
      expect([target, existsSync(url)]).toEqual([target, true]);
      if (anchor) expect([target, anchorsOf(readFileSync(url, 'utf8')).has(anchor)]).toEqual([target, true]);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe('docs/performance.md', () => {
  const doc = readFileSync(new URL('../docs/performance.md', import.meta.url), 'utf8');

  it('stays a page of the present, not a diary (at most 250 lines)', () => {
    expect(doc.trimEnd().split('\n').length).toBeLessThanOrEqual(250);
  });

  it('names only files of the repository that exist', () => {
    const named = [...new Set([...doc.matchAll(/`((?:bench|src|scripts|patches|test|docs)\/[^`\s]*)`/g)].map((m) => m[1]!))];
    expect(named.length).toBeGreaterThan(15);
    const missing = named.filter((path) => !existsSync(new URL(`../${path}`, import.meta.url)));
    expect(missing).toEqual([]);
  });

  it('documents exactly the BENCH_* variables the bench reads', () => {
    const bench = new URL('../bench/', import.meta.url);
    const read = new Set<string>();
    for (const file of new Bun.Glob('**/*.ts').scanSync({ cwd: bench.pathname })) {
      if (file.startsWith('peers/')) continue;
      const source = readFileSync(new URL(file, bench), 'utf8');
      for (const m of source.matchAll(/process\.env\.(BENCH_\w+)|envNumber\('(BENCH_\w+)'/g)) read.add((m[1] ?? m[2])!);
    }
    const documented = new Set([...doc.matchAll(/\bBENCH_[A-Z_]+\b/g)].map((m) => m[0]));
    expect(read.size).toBeGreaterThan(10);
    expect([...read].filter((name) => !documented.has(name)).sort()).toEqual([]);
    expect([...documented].filter((name) => !read.has(name)).sort()).toEqual([]);
  });
});
