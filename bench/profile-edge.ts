// `bun bench/profile-edge.ts` — where the edge check's time goes. Companion to bench/edge.ts.
//
// 1. Micro-benchmarks, in-process: each step of GET /_edge/visitor/access as src/ runs it today
//    (ns or µs per call), with cheaper alternatives beside the expensive ones.
// 2. An HTTP ladder: in-process Bun.serve variants, each adding one piece, loaded by wrk on the other
//    CPU; the server's own CPU time per request (process.cpuUsage) says what each piece costs in situ,
//    including native work the micro-benchmarks cannot see (requestIP, lazy headers, async handlers).
//    Also what-ifs that need no src/ change: the socket peer given as plain IPv4, and the prototype
//    hot path of bench/lib/lean-edge.ts, cached and uncached.
// 3. The uncached path's one query at the PostgreSQL protocol level.
//
// Needs wrk and the real PostgreSQL like the bench (BENCH_DATABASE_URL; a fresh va_bench_* database is
// created, seeded and dropped). Env: PROFILE_MS (per micro-benchmark, default 300),
// PROFILE_HTTP_SECONDS (per ladder step, default 3), PROFILE_DB_SECONDS (per query variant, default 3),
// PROFILE_PARTS (e.g. "1,2"; default all), PROFILE_LADDER (only ladder steps whose name contains it).
// Takes about two minutes. For a sampling profile of one step: PROFILE_PINNED=0 PROFILE_LOAD_CPU=1 and
// `taskset -c 0 bun --cpu-prof-md --cpu-prof-dir=/tmp/p bench/profile-edge.ts` with PROFILE_PARTS=2.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { EdgeCache } from '../src/access/edge-cache.ts';
import { grantCovers, isGated, normalisePath } from '../src/access/paths.ts';
import { createEdgeCheck } from '../src/access/edge.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { ipInCidrs } from '../src/net/cidr.ts';
import { newRequestId, requestContext, socketPeers } from '../src/http/request-context.ts';
import { createRuntime } from '../src/runtime.ts';
import { hashToken, verifyToken } from '../src/tokens/tokens.ts';
import { createBenchDatabase, seed } from './lib/database.ts';
import { createLeanEdge } from './lib/lean-edge.ts';
import { choosePinning, cpuTimeOfMs, findTool, freePort } from './lib/process.ts';
import { runWrk, WRK_INSTALL_HINT } from './lib/wrk.ts';

const MS = Number(process.env.PROFILE_MS ?? 300);
const HTTP_SECONDS = Number(process.env.PROFILE_HTTP_SECONDS ?? 3);
const DB_SECONDS = Number(process.env.PROFILE_DB_SECONDS ?? 3);
const PARTS = new Set((process.env.PROFILE_PARTS ?? '1,2,3').split(',').map((s) => s.trim()));

// The ladder's server is this process: pin it to the server CPU by re-running under taskset.
// The child inherits the choice (inside taskset it can see only its own CPU).
const pinning = process.env.PROFILE_PINNED
  ? { pinned: true, serverCpu: process.env.PROFILE_PINNED, loadCpu: process.env.PROFILE_LOAD_CPU ?? null, why: '' }
  : choosePinning();
if (pinning.pinned && !process.env.PROFILE_PINNED) {
  const child = Bun.spawn(['taskset', '-c', pinning.serverCpu!, process.execPath, fileURLToPath(import.meta.url)], {
    env: { ...process.env, PROFILE_PINNED: pinning.serverCpu!, PROFILE_LOAD_CPU: pinning.loadCpu! },
    stdio: ['inherit', 'inherit', 'inherit'],
  });
  process.exit(await child.exited);
}
if (PARTS.has('2') && !findTool('wrk')) {
  console.error(WRK_INSTALL_HINT);
  process.exit(2);
}

let sink: unknown; // keeps results alive so the JIT cannot drop the work

/** Mean ns per call of fn, after a warm-up, over about MS milliseconds. */
function measure(fn: () => unknown): number {
  for (let i = 0; i < 20_000; i++) sink = fn();
  let n = 0;
  const start = Bun.nanoseconds();
  const until = start + MS * 1e6;
  let now = start;
  while (now < until) {
    for (let i = 0; i < 1000; i++) sink = fn();
    n += 1000;
    now = Bun.nanoseconds();
  }
  return (now - start) / n;
}

async function measureAsync(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20_000; i++) sink = await fn();
  let n = 0;
  const start = Bun.nanoseconds();
  const until = start + MS * 1e6;
  let now = start;
  while (now < until) {
    for (let i = 0; i < 1000; i++) sink = await fn();
    n += 1000;
    now = Bun.nanoseconds();
  }
  return (now - start) / n;
}

const show = (ns: number) => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
function record(step: string, ns: number, note = '') {
  console.log(`  ${step.padEnd(72)} ${show(ns).padStart(10)}${note ? `   ${note}` : ''}`);
}

// What Bun.serve's requestIP() gives for a client on 127.0.0.1 (the server listens dual-stack).
const BUN_PEER = '::ffff:127.0.0.1';

const adminUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const database = await createBenchDatabase(adminUrl);
const dataDir = mkdtempSync(`${tmpdir()}/va-profile-`);
const closers: (() => Promise<void>)[] = [];
try {
  const tokenSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
  const seeded = await seed(database.url, tokenSecret);
  const configFor = (edgeCacheSeconds: number): Config =>
    loadConfig({
      NODE_ENV: 'production',
      PUBLIC_URL: 'http://localhost', // required in production (where console links point)
      TOKEN_SECRET: tokenSecret,
      DATABASE_URL: database.url,
      SMTP_URL: 'smtp://127.0.0.1:2525',
      LOG_LEVEL: 'warn',
      EDGE_CACHE_SECONDS: String(edgeCacheSeconds),
      DATA_DIR: dataDir,
    });
  const config = configFor(5);
  const runtime = await createRuntime(config, { seedDemo: false });
  closers.push(() => runtime.close());
  const { app, deps } = runtime;
  const url = 'http://localhost:3000/_edge/visitor/access';
  const cookie = `__Host-visitor_session=${seeded.sessionToken}`;
  const headerInit = { host: 'localhost', cookie, 'x-original-uri': seeded.gatedPath, 'user-agent': 'wrk', accept: '*/*' };
  const makeRequest = () => new Request(url, { headers: headerInit });
  const token = seeded.sessionToken;

  const first = await app.fetch(makeRequest(), BUN_PEER);
  if (first.status !== 204 || first.headers.get('x-visitor-id') !== seeded.visitorId) {
    throw new Error(`in-process edge check answered ${first.status} ${first.headers.get('x-visitor-reason')}`);
  }
  console.log(`edge check profile — bun ${Bun.version}, ${pinning.pinned ? `this process on CPU ${pinning.serverCpu}, wrk on CPU ${pinning.loadCpu}` : `unpinned (${pinning.why})`}`);

  if (PARTS.has('1')) {
    console.log(`\n1. micro-benchmarks, in-process (mean per call, ~${MS} ms each)\n`);
    const baseline = measure(makeRequest);
    record('new Request(url, headers)  [harness cost, subtracted below]', baseline);
    record('app.fetch(request, peer "::ffff:127.0.0.1"): whole cached edge check', (await measureAsync(() => Promise.resolve(app.fetch(makeRequest(), BUN_PEER)))) - baseline);
    record('app.fetch(request, peer "127.0.0.1")', (await measureAsync(() => Promise.resolve(app.fetch(makeRequest(), '127.0.0.1')))) - baseline);
    record('app.fetch(request) without a peer (skips the trusted-proxy check)', (await measureAsync(() => Promise.resolve(app.fetch(makeRequest())))) - baseline);

    console.log('\n  steps, in the order the cached path runs them:');
    record('socketPeers.set + requestContext(), peer "::ffff:127.0.0.1"', measure(() => {
      const r = makeRequest();
      socketPeers.set(r, BUN_PEER);
      return requestContext(r, config);
    }) - baseline);
    const aRequest = makeRequest();
    record('  ipInCidrs("::ffff:127.0.0.1", TRUSTED_PROXIES)  (parseIPv6, BigInt)', measure(() => ipInCidrs(BUN_PEER, config.trustedProxies)));
    record('  ipInCidrs("127.0.0.1", TRUSTED_PROXIES)  (parseIPv4, BigInt)', measure(() => ipInCidrs('127.0.0.1', config.trustedProxies)));
    const trustedMemo = new Map<string, boolean>([[BUN_PEER, true]]);
    record('    alternative: memo Map<peer, trusted>.get', measure(() => trustedMemo.get(BUN_PEER)));
    record('  newRequestId()  (getRandomValues + 12× toString(16).padStart)', measure(newRequestId));
    record('    alternative: "req_" + crypto.randomUUID() without dashes', measure(() => `req_${crypto.randomUUID().replaceAll('-', '')}`));
    const pool = new Uint8Array(4096);
    let at = pool.length;
    const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
    record('    alternative: pooled random bytes (4 KiB refill) + hex table', measure(() => {
      if (at + 12 > pool.length) {
        crypto.getRandomValues(pool);
        at = 0;
      }
      let out = 'req_';
      for (let i = at; i < at + 12; i++) out += HEX[pool[i]!];
      at += 12;
      return out;
    }));
    record('  new URL(request.url)', measure(() => new URL(aRequest.url)));
    record('  5× request.headers.get()', measure(() => {
      const h = aRequest.headers;
      return [h.get('x-request-id'), h.get('x-forwarded-host'), h.get('x-forwarded-proto'), h.get('x-forwarded-for'), h.get('user-agent')];
    }));
    record('  hostname: 2× String.replace(regex)', measure(() => 'localhost:3000'.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')));
    const wm = new WeakMap<object, number>();
    record('  WeakMap.set(fresh object)  (done twice per request: socketPeers, contexts)', measure(() => wm.set({}, 1)));
    record('requestContext() again (WeakMap hit; edge.check calls it a second time)', measure(() => requestContext(aRequest, config)));
    record('await tenants.forHost(host)  (cached: Map.get + Date.now + await)', await measureAsync(() => deps.tenants.forHost('localhost')));
    record('headers.get(x-original-uri)', measure(() => aRequest.headers.get('x-original-uri')));
    record('normalisePath(uri)', measure(() => normalisePath(seeded.gatedPath)));
    record('isGated(path, prefixes)', measure(() => isGated(seeded.gatedPath, ['/content/'])));
    record('clock.now()  (new Date)', measure(() => deps.clock.now()));
    record('sessionToken(): headers.get(authorization) + get(cookie) + slice', measure(() => {
      const h = aRequest.headers;
      const auth = h.get('authorization');
      const c = h.get('cookie')!;
      const start = c.indexOf('__Host-visitor_session=');
      return auth ?? c.slice(start + 23).trim();
    }));
    const cache = new EdgeCache(5000);
    const identity = { tenantId: 't', visitorId: seeded.visitorId, sessionExpiresAt: Date.now() + 1e9, grants: [{ resource: '/content/bench/*', expiresAt: null }] };
    cache.set(token, identity, Date.now());
    record('EdgeCache.get(token)', measure(() => cache.get(token, Date.now())));
    record('grantCovers(resource, path)', measure(() => grantCovers('/content/bench/*', seeded.gatedPath)));
    record('answer(): header object (spread) + new Response(null, {204, headers})', measure(() => {
      const headers: Record<string, string> = { 'cache-control': 'private, no-store', 'x-request-id': 'req_0123456789abcdef01234567', ...{ 'x-visitor-id': seeded.visitorId } };
      return new Response(null, { status: 204, headers });
    }));
    record('  reference: new Response(null, {status: 204}) (what bare Bun does)', measure(() => new Response(null, { status: 204 })));
    record('an awaited async function (one microtask hop)', await measureAsync(async () => 1));

    console.log('\n  extra steps on the uncached path (besides the query):');
    const keys = deps.keys;
    record('verifyToken(keys, "vs", token)  (@oslojs HMAC-SHA256 in JS)', measure(() => verifyToken(keys, 'vs', token)));
    const macKey = Buffer.from(keys.current.tokenMac);
    const dot = token.indexOf('.');
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    record('  alternative: node:crypto createHmac + timingSafeEqual', measure(() => {
      const tag = createHmac('sha256', macKey).update(token.slice(0, dot)).digest().subarray(0, 16);
      return timingSafeEqual(tag, given);
    }));
    record('hashToken(token)  (@oslojs SHA-256 + hex in JS)', measure(() => hashToken(token)));
    record('  alternative: node:crypto createHash(sha256).digest(hex)', measure(() => createHash('sha256').update(token).digest('hex')));
    record('  alternative: Bun.CryptoHasher(sha256).digest(hex)', measure(() => new Bun.CryptoHasher('sha256').update(token).digest('hex')));
  }

  if (PARTS.has('2')) {
    console.log(`\n2. HTTP ladder: Bun.serve in this process, wrk -t1 -c32 on the other CPU, 1 s warm-up + ${HTTP_SECONDS} s each`);
    console.log('   CPU µs/req: this process (user+system, all threads, postgres.js included) and the PostgreSQL backends;');
    console.log('   Δ: this process vs the bare step. Each step adds one piece; the what-ifs need no src/ change.\n');
    const uncachedRuntime = await createRuntime(configFor(0), { seedDemo: false });
    closers.push(() => uncachedRuntime.close());
    const edge = createEdgeCheck(deps);
    const leanUncached = createLeanEdge(uncachedRuntime.deps, { misses: true });
    const leanMiss = await leanUncached(makeRequest(), () => BUN_PEER);
    if (leanMiss.status !== 204 || leanMiss.headers.get('x-visitor-id') !== seeded.visitorId) throw new Error('lean uncached prototype answered wrong');
    const lean = createLeanEdge(deps);
    const leanFirst = await lean(makeRequest(), () => BUN_PEER);
    if (leanFirst.status !== 204 || leanFirst.headers.get('x-visitor-id') !== seeded.visitorId) throw new Error('lean edge prototype answered wrong');
    const vid = seeded.visitorId;
    const ok = () => new Response(null, { status: 204 });
    type Handler = (request: Request, server: Bun.Server<undefined>) => Response | Promise<Response>;
    const VIA_ROUTES = 'via Bun.serve routes ';
    const ladder: [string, Handler][] = [
      ['bare: return new Response(null, {status: 204})', ok],
      ['async handler, same 204', async () => ok()],
      ['+ srv.requestIP(request)', (r, s) => ((sink = s.requestIP(r)?.address), ok())],
      ['+ request.url, 1× headers.get (materialises the headers)', (r) => ((sink = [r.url, r.headers.get('cookie')]), ok())],
      ['  204 with the 3 edge headers (incl. newRequestId())', () =>
        new Response(null, { status: 204, headers: { 'cache-control': 'private, no-store', 'x-request-id': newRequestId(), 'x-visitor-id': vid } })],
      ['requestContext(r) without a peer, then bare 204', (r) => ((sink = requestContext(r, config)), ok())],
      ['requestIP + socketPeers.set + requestContext(r), then bare 204', (r, s) => {
        const peer = s.requestIP(r)?.address;
        if (peer) socketPeers.set(r, peer);
        sink = requestContext(r, config);
        return ok();
      }],
      ['edge.check(r) alone, no peer (all edge logic, no trusted-proxy check)', (r) => edge.check(r)],
      ['service, cached: app.fetch(r, () => requestIP) — src/server.ts for other paths', (r, s) => app.fetch(r, () => s.requestIP(r)?.address)],
      [`service, cached: app.edgeCheck(r, () => requestIP) ${VIA_ROUTES}— exactly src/server.ts`, (r, s) => app.edgeCheck(r, () => s.requestIP(r)?.address)],
      ['what-if: same, peer "::ffff:a.b.c.d" passed as "a.b.c.d"', (r, s) => app.fetch(r, s.requestIP(r)?.address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, ''))],
      ['what-if: prototype of the recommended hot path (bench/lib/lean-edge.ts)', (r, s) => lean(r, () => s.requestIP(r)?.address)],
      ['service, uncached (EDGE_CACHE_SECONDS=0), one cookie: concurrent checks share a lookup', (r, s) => uncachedRuntime.app.fetch(r, s.requestIP(r)?.address)],
      ['what-if: uncached, prototype hot path (bench/lib/lean-edge.ts)', (r, s) => leanUncached(r, () => s.requestIP(r)?.address)],
    ];
    let bareCpu = 0;
    const only = process.env.PROFILE_LADDER; // run only the bare step and steps whose name contains this
    for (const [name, handler] of ladder.filter(([n], i) => !only || i === 0 || n.includes(only))) {
      const port = freePort();
      // The service's own entry routes the edge path natively (no request.url); that rung does too.
      const server = name.includes(VIA_ROUTES) ? Bun.serve({ port, routes: { '/_edge/visitor/access': { GET: handler } }, fetch: handler }) : Bun.serve({ port, fetch: handler });
      try {
        const load = {
          url: `http://127.0.0.1:${port}/_edge/visitor/access`,
          headers: { Host: 'localhost', Cookie: cookie, 'X-Original-URI': seeded.gatedPath },
          threads: 1,
          connections: 32,
          cpu: pinning.loadCpu,
        };
        await runWrk({ ...load, seconds: 1 });
        const backends = await database.backendPids();
        const pgBefore = cpuTimeOfMs(backends);
        const before = process.cpuUsage();
        const r = await runWrk({ ...load, seconds: HTTP_SECONDS });
        const used = process.cpuUsage(before);
        let pgMs = 0;
        for (const [pid, after] of cpuTimeOfMs(backends)) pgMs += after - (pgBefore.get(pid) ?? after);
        const cpuUs = (used.user + used.system) / r.requests;
        const pgUs = (pgMs * 1000) / r.requests;
        if (!bareCpu) bareCpu = cpuUs;
        console.log(
          `  ${name.padEnd(72)} ${Math.round(r.rps).toLocaleString('en-US').padStart(8)} req/s  ${cpuUs.toFixed(1).padStart(6)} µs` +
            `  Δ ${(cpuUs - bareCpu >= 0 ? '+' : '') + (cpuUs - bareCpu).toFixed(1)}`.padEnd(10) +
            (pgUs >= 0.5 ? `  pg ${pgUs.toFixed(1)} µs` : '') +
            `  p99 ${show(r.p99Us * 1000)}${r.non2xx ? `  NON-2XX ${r.non2xx}` : ''}`,
        );
      } finally {
        server.stop(true);
      }
    }
  }

  if (PARTS.has('3')) {
    console.log(`\n3. the uncached path's query, in-process postgres.js client (32 in flight, pool max 10, ~${DB_SECONDS} s each)`);
    console.log('   client = this process\'s CPU per query; pg = the PostgreSQL backends\' CPU per query\n');
    const client = postgres(database.url, { max: 10, onnotice: () => {}, fetch_types: false, connect_timeout: 5, idle_timeout: 60 });
    closers.push(() => client.end({ timeout: 5 }));
    const now = new Date();
    const hash = hashToken(token);
    // The statement of src/access/edge-identity.ts for one token (src/ sends `token_hash = any($2)`
    // for all the misses of an event-loop turn; bench/edge.ts measures that under load).
    const EDGE_QUERY = `
      select s.tenant_id, s.visitor_id, s.expires_at,
             coalesce((select json_agg(json_build_object('r', g.resource, 'e', g.expires_at))
                       from grants g
                       where g.tenant_id = s.tenant_id and g.email = v.email
                         and (g.expires_at is null or g.expires_at > $1)), '[]'::json) as grants
      from sessions s
      join visitors v on v.id = s.visitor_id
      where s.token_hash = $2 and s.revoked_at is null and s.expires_at > $3`;
    const ARRAY_QUERY = `
      select s.tenant_id, s.visitor_id, s.expires_at, g.resources, g.expires
      from sessions s
      join visitors v on v.id = s.visitor_id
      cross join lateral (select array_agg(g.resource) as resources, array_agg(g.expires_at) as expires
                          from grants g
                          where g.tenant_id = s.tenant_id and g.email = v.email
                            and (g.expires_at is null or g.expires_at > $1)) g
      where s.token_hash = $2 and s.revoked_at is null and s.expires_at > $3`;
    const SESSION_ONLY = `select tenant_id, visitor_id, expires_at from sessions where token_hash = $1 and revoked_at is null and expires_at > $2`;
    let queries = 0;
    async function throughput(run: () => Promise<unknown>): Promise<number> {
      let done = 0;
      const started = performance.now();
      const until = started + DB_SECONDS * 1000;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (performance.now() < until) {
            await run();
            done++;
          }
        }),
      );
      queries = done;
      return done / ((performance.now() - started) / 1000);
    }
    const variants: [string, () => Promise<unknown>][] = [
      ["select 1, simple protocol — the bench floor (unsafe('select 1', []))", () => client.unsafe('select 1', [])],
      ['select $1, unsafe(text, [1]): Parse+Describe, wait, Bind+Execute (2 trips)', () => client.unsafe('select $1::int', [1])],
      ['select $1, prepared (1 trip)', () => client.unsafe('select $1::int', [1], { prepare: true })],
      ['edge query as src/ sends it: unsafe(text, values), unnamed (2 trips)', () => client.unsafe(EDGE_QUERY, [now, hash, now])],
      ['edge query, prepared: unsafe(text, values, { prepare: true }) (1 trip)', () => client.unsafe(EDGE_QUERY, [now, hash, now], { prepare: true })],
      ['  variant, prepared: grants as two arrays (array_agg) instead of json_agg', () => client.unsafe(ARRAY_QUERY, [now, hash, now], { prepare: true })],
      ['  lower bound, prepared: the session row alone (no visitor join, no grants)', () => client.unsafe(SESSION_ONLY, [hash, now], { prepare: true })],
    ];
    for (const [name, run] of variants) {
      for (let i = 0; i < 20; i++) await Promise.all(Array.from({ length: 32 }, run)); // opens the whole pool, warms up
      const backends = await database.backendPids();
      const pgBefore = cpuTimeOfMs(backends);
      const before = process.cpuUsage();
      const rps = await throughput(run);
      const used = process.cpuUsage(before);
      let pgMs = 0;
      for (const [pid, after] of cpuTimeOfMs(backends)) pgMs += after - (pgBefore.get(pid) ?? after);
      console.log(
        `  ${name.padEnd(78)} ${Math.round(rps).toLocaleString('en-US').padStart(8)} q/s` +
          `  client ${((used.user + used.system) / queries).toFixed(1).padStart(5)} µs/q  pg ${((pgMs * 1000) / queries).toFixed(1).padStart(5)} µs/q`,
      );
    }
    const explain = (await client.unsafe(`explain (analyze, format json) ${EDGE_QUERY}`, [now, hash, now])) as unknown as [
      { 'QUERY PLAN': [{ 'Planning Time': number; 'Execution Time': number; Plan: unknown }] },
    ];
    const plan = explain[0]['QUERY PLAN'][0];
    const indexes = [...JSON.stringify(plan.Plan).matchAll(/"Index Name":"([^"]+)"/g)].map((m) => m[1]);
    console.log(`\n  explain analyze (one run): planning ${plan['Planning Time'].toFixed(3)} ms, execution ${plan['Execution Time'].toFixed(3)} ms; indexes: ${indexes.join(', ')}`);
  }
} finally {
  for (const close of closers.reverse()) await close().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
  await database.drop();
}
void sink;
process.exit(0);
