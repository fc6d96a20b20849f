// The per-request context (src/route-context.ts): derived once per request through Elysia's
// lifecycle and handed to handlers as `ctx`; what costs I/O (host tenant, server caller, session)
// is computed only when asked, and once. And route handlers no longer re-derive any of it.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppDeps } from '../src/app-deps.ts';
import { createPat } from '../src/credentials/pats.ts';
import type { Db } from '../src/db/db.ts';
import type { CookieJar } from '../src/http/cookies.ts';
import { RouteContext } from '../src/route-context.ts';
import { SESSION_COOKIE } from '../src/sessions/sessions.ts';
import { Harness } from './support/harness.ts';
import { SRC, sourceFiles } from './support/import-graph.ts';

let h: Harness;
let pat: string;

beforeAll(async () => {
  h = await Harness.start();
  pat = (await createPat(h.db, { tenantId: h.gharart.id, name: 'reader', scopes: ['access:read'] })).token;
});
afterAll(() => h.close());

/** The queries a context sends, by their text. */
function recordingDb(inner: Db, texts: string[]): Db {
  const wrap = (db: Db): Db => ({
    kind: db.kind,
    many: (q) => {
      texts.push(q.text);
      return db.many(q);
    },
    one: (q) => {
      texts.push(q.text);
      return db.one(q);
    },
    exec: (t) => {
      texts.push(String(t));
      return db.exec(t);
    },
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    close: async () => {},
  });
  return wrap(inner);
}

/** A context over the harness's deps, counting host-tenant lookups and recording queries. */
function contextFor(request: Request, cookies: Record<string, string> = {}) {
  const deps = h.runtime.deps;
  const texts: string[] = [];
  const hostLookups: string[] = [];
  const tenants = Object.create(deps.tenants) as AppDeps['tenants'];
  tenants.forHost = (hostname: string) => {
    hostLookups.push(hostname);
    return deps.tenants.forHost(hostname);
  };
  const jar = Object.fromEntries(Object.entries(cookies).map(([name, value]) => [name, { value, set() {}, remove() {} }])) as CookieJar;
  const ctx = new RouteContext({ ...deps, db: recordingDb(deps.db, texts), tenants }, request, jar);
  return { ctx, texts, hostLookups };
}

const pats = (texts: string[]) => texts.filter((t) => /\bfrom pats\b/i.test(t)).length;
const sessionReads = (texts: string[]) => texts.filter((t) => /\bfrom sessions\b/i.test(t) && /^\s*select/i.test(t)).length;

describe('the route context', () => {
  it('asks nothing costly until a handler does: no host-tenant lookup, no query', async () => {
    const { ctx, texts, hostLookups } = contextFor(
      new Request('http://localhost/v2/visitor/me', { headers: { authorization: `Bearer ${pat}` } }),
    );
    expect(ctx.requestId).toMatch(/^req_/);
    expect(ctx.hostname).toBe('localhost');
    expect(hostLookups).toEqual([]);
    expect(texts).toEqual([]);
  });

  it('looks up the host tenant once, however often it is asked (visitorTenant included)', async () => {
    const { ctx, hostLookups } = contextFor(new Request('http://localhost/x'));
    const [a, b] = await Promise.all([ctx.hostTenant(), ctx.hostTenant()]);
    const { tenant } = await ctx.visitorTenant(undefined);
    expect(a?.id).toBe(h.gharart.id);
    expect(b).toBe(a);
    expect(tenant.id).toBe(h.gharart.id);
    expect(hostLookups).toEqual(['localhost']);
  });

  it('looks up the server caller once: caller() and requireCaller() share one PAT lookup', async () => {
    const { ctx, texts } = contextFor(
      new Request('http://service.test/v2/visitor/access', { headers: { authorization: `Bearer ${pat}` } }),
    );
    const first = await ctx.caller();
    const required = await ctx.requireCaller('access:read');
    expect(await ctx.caller()).toBe(first);
    expect(required as unknown).toBe(first);
    expect(pats(texts.filter((t) => /^\s*select/i.test(t)))).toBe(1);
  });

  it('reads the session once: session(), requireSession() and requireUsedSession() share one lookup', async () => {
    const { jar } = await h.signIn('once@example.com');
    const token = jar.values.get(SESSION_COOKIE)!;
    const { ctx, texts } = contextFor(new Request('http://localhost/v2/visitor/me'), { [SESSION_COOKIE]: token });
    const current = await ctx.session();
    const signedIn = await ctx.requireSession();
    const used = await ctx.requireUsedSession();
    await ctx.requireUsedSession();
    expect(current.session?.email).toBe('once@example.com');
    expect(signedIn.session).toBe(current.session!);
    expect(used.session.id).toBe(current.session!.id);
    expect(sessionReads(texts)).toBe(1);
    expect(ctx.facts).toMatchObject({ tenantId: h.gharart.id, sessionId: current.session!.id });
  });
});

describe('through the app', () => {
  it('a server caller on the visitor access list costs one PAT lookup (it was asked twice before)', async () => {
    const ask = () =>
      h.fetch(`/v2/visitor/access?email=${encodeURIComponent('a@example.com')}`, {
        host: 'service.test',
        headers: { authorization: `Bearer ${pat}` },
      });
    expect((await ask()).status).toBe(200); // warms the caches and touches the PAT
    // The request log writes on a 250 ms timer: flush it first, or its write can land in the count.
    await h.deps.requestLog.flush();
    const before = h.counter.queries;
    expect((await ask()).status).toBe(200);
    // One PAT lookup and one grants query; the PAT was touched within the minute.
    expect(h.counter.queries - before).toBe(2);
  });
});

describe('route handlers', () => {
  // Route modules: every routes.ts, *-routes.ts, and the console's shared handler.
  const ROUTE_MODULE = /(^|\/)([\w-]+-)?routes\.ts$|^console\/handler\.ts$/;
  // What the context derives once; a handler calling these itself re-derives it.
  // (A call, not a method of ctx: `ctx.visitorTenant(…)` is how it should be asked.)
  const REDERIVED = [
    'requestContext',
    'visitorTenant',
    'serverCallerFrom',
    'authorizeServerCaller',
    'sessionFromToken',
    'currentSession',
  ].map((name) => new RegExp(`(?<![.\\w$])${name}\\(`));
  REDERIVED.push(/\btenants\.forHost\(/);

  function violations(files: Record<string, string>): string[] {
    const found: string[] = [];
    for (const [file, source] of Object.entries(files)) {
      source.split('\n').forEach((line, i) => {
        for (const pattern of REDERIVED) if (pattern.test(line)) found.push(`${file}:${i + 1} ${pattern.source}`);
      });
      // A module that declares routes takes its context from the plugin.
      if (/^\s*\.(get|post|put|delete|all)\(\s*['A-Z_]/m.test(source) && !source.includes('.use(routeContext(deps))'))
        found.push(`${file}: no .use(routeContext(deps))`);
    }
    return found;
  }

  const routeModules = () =>
    Object.fromEntries(
      sourceFiles()
        .filter((f) => ROUTE_MODULE.test(f))
        .map((f) => [f, readFileSync(join(SRC, f), 'utf8')]),
    );

  it('take the request context from ctx and re-derive nothing (request id, IP, tenant, caller, session)', () => {
    const files = routeModules();
    expect(Object.keys(files)).toContain('magic-link/verify-routes.ts');
    expect(Object.keys(files)).toContain('console/handler.ts');
    expect(violations(files)).toEqual([]);
  });

  it('the check reports a planted re-derivation and a module without the plugin', () => {
    const planted = {
      'x/routes.ts':
        "new Elysia()\n  .use(routeContext(deps))\n  .get('/x', async ({ request }) => requestContext(request, config).requestId)",
      'y/page-routes.ts': "new Elysia()\n  .get('/y', ({ ctx }) => ctx.visitorTenant(undefined))",
    };
    expect(violations(planted)).toEqual([`x/routes.ts:3 ${REDERIVED[0]!.source}`, 'y/page-routes.ts: no .use(routeContext(deps))']);
  });
});
