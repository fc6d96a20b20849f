// `bun run bench` — how fast is the CDN's hot path (GET /_edge/visitor/access) next to what this
// machine can do at all? A report, not a test: loopback only, bounded in time, exits 0 even when a
// target is missed (non-zero only when the bench itself could not run).
//
// Each scenario is its own server process (pinned to one CPU when taskset allows), loaded by wrk
// (pinned to the other), after a warm-up: the method of bench/lib/runner.ts, shared by every section.
// Add a scenario by appending to EDGE_SCENARIOS; add a target by appending to RATIOS.
//
// Env: BENCH_SECONDS (measured seconds per scenario, default 10), BENCH_WARMUP (default 3),
// BENCH_CONNECTIONS (default 32), BENCH_THREADS (default 1), BENCH_DATABASE_URL (admin URL, default
// postgres://postgres@127.0.0.1:5432/postgres), BENCH_ONLY (comma-separated scenario ids),
// BENCH_PIN=0 (no taskset), BENCH_OUT (write the results as JSON to this file), BENCH_VERBOSE=1,
// BENCH_CPU_PROF=dir (profile the service scenarios with bun --cpu-prof; slows them down),
// BENCH_QUIET_WAIT=s (before each scenario, wait up to s seconds for other processes to go quiet),
// BENCH_RETRIES=n (run a scenario disturbed by other processes up to n more times, keep the quietest).
//
// Overload: edge-cached-overload and edge-uncached-overload are edge-cached and edge-uncached while
// a second wrk (on wrk's CPU, 256 connections, a fresh address per request) asks for sign-in links
// flat out, far past SIGN_IN_MAX_IN_FLIGHT (a refused connection waits Retry-After, 1 s, as told): the edge check's p99 is compared with its unloaded p99
// in the same run (target ≤ 2×), and the sign-in answers are counted (202 accepted, 503 refused).
// Mail delivery is deferred during these scenarios (as in bench/sign-in.ts's ours-request).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CROWD, seed, type BenchDatabase, type Seed } from './lib/database.ts';
import { findTool, loadAverage } from './lib/process.ts';
import { raiseLimits } from './lib/sign-in-data.ts';
import postgres from 'postgres';
import {
  BenchError,
  fmt,
  newBenchDatabase,
  NOISY,
  printHeader,
  runWithRetries,
  settingsFromEnv,
  stopLive,
  table,
  type Load,
  type Monitor,
  type Result,
  type Scenario,
  type Settings,
} from './lib/runner.ts';
import { serviceCommand, serviceEnv } from './lib/service.ts';
import { runWrk, WRK_INSTALL_HINT, type DynamicRequest, type WrkResult } from './lib/wrk.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EDGE_PATH = '/_edge/visitor/access';

// ---------------------------------------------------------------------------------------------
// What is measured

/** Everything a scenario may need to build its server command and its request. */
type Context = {
  database: BenchDatabase;
  seed: Seed;
  tokenSecret: string;
  dataDir: string;
  crowdFile: string;
  settings: Settings;
  /** The running server's base URL (set by an overload scenario's prepare, for its monitor). */
  baseUrl?: string;
};

/** What an edge scenario declares; `edgeScenario` turns it into the shared runner's Scenario. */
type EdgeScenario = {
  id: string;
  label: string;
  /** The server command (the runner prefixes taskset). */
  argv: (ctx: Context) => string[];
  env: (ctx: Context, port: number) => Record<string, string>;
  headers: (ctx: Context) => Record<string, string>;
  /** Per-request values (bench/wrk-dynamic.lua); the sample request uses the first one. */
  dynamic?: (ctx: Context) => DynamicRequest & { first: string };
  /** Checked once with fetch before any load: the status, and headers that must be present with this value. */
  expect: (ctx: Context) => { status: number; headers?: Record<string, string> };
  usesDatabase: boolean;
  /** Sign-in requested flat out beside the measured load (the overload scenarios). */
  overload?: boolean;
};

const bun = process.execPath;

/** The sign-in flood's connections: far past the default SIGN_IN_MAX_IN_FLIGHT (80). */
const OVERLOAD_CONNECTIONS = 256;

function edgeEnv(ctx: Context, port: number, edgeCacheSeconds: number): Record<string, string> {
  return serviceEnv({ port, tokenSecret: ctx.tokenSecret, databaseUrl: ctx.database.url, dataDir: ctx.dataDir, edgeCacheSeconds });
}

function edgeRequest(ctx: Context): Record<string, string> {
  return {
    Host: ctx.seed.host,
    Cookie: `__Host-visitor_session=${ctx.seed.sessionToken}`,
    'X-Original-URI': ctx.seed.gatedPath,
  };
}

// Without a cache every request is a lookup, and a CDN asks for many shoppers at once: the uncached
// scenario (and its floor, for the same request bytes) cycles through the seed's crowd of sessions.
// One cookie for all would let concurrent checks of the same session share a lookup.
function crowdRequest(ctx: Context): Record<string, string> {
  const { Cookie: _one, ...rest } = edgeRequest(ctx);
  return rest;
}

function crowdCookies(ctx: Context): DynamicRequest & { first: string } {
  return {
    method: 'GET',
    path: EDGE_PATH,
    header: 'Cookie: __Host-visitor_session={v}',
    source: `cycle:${ctx.crowdFile}`,
    first: `__Host-visitor_session=${ctx.seed.crowdTokens[0]}`,
  };
}

const EDGE_SCENARIOS: EdgeScenario[] = [
  {
    id: 'ceiling',
    label: 'ceiling: bare Bun.serve 204',
    argv: () => [bun, 'bench/servers/bare.ts'],
    env: (_ctx, port) => ({ PORT: String(port) }),
    headers: edgeRequest, // same request bytes as the edge scenarios
    expect: () => ({ status: 204 }),
    usesDatabase: false,
  },
  {
    id: 'select1',
    label: 'floor: Bun.serve + select 1 (postgres.js, max 10)',
    argv: () => [bun, 'bench/servers/select1.ts'],
    env: (ctx, port) => ({ PORT: String(port), DATABASE_URL: ctx.database.url }),
    headers: crowdRequest, // same request bytes as edge-uncached
    dynamic: crowdCookies,
    expect: () => ({ status: 204 }),
    usesDatabase: true,
  },
  {
    id: 'edge-cached',
    label: 'service edge check, cached (EDGE_CACHE_SECONDS=5)',
    argv: () => serviceCommand('edge-cached'),
    env: (ctx, port) => edgeEnv(ctx, port, 5),
    headers: edgeRequest,
    expect: (ctx) => ({ status: 204, headers: { 'x-visitor-id': ctx.seed.visitorId } }),
    usesDatabase: true,
  },
  {
    id: 'edge-uncached',
    label: `service edge check, uncached (EDGE_CACHE_SECONDS=0), ${CROWD.toLocaleString('en-US')} shoppers round robin`,
    argv: () => serviceCommand('edge-uncached'),
    env: (ctx, port) => edgeEnv(ctx, port, 0),
    headers: crowdRequest,
    dynamic: crowdCookies,
    expect: () => ({ status: 204 }), // wrk counts any other answer as non-2xx
    usesDatabase: true,
  },
];
// The same two checks while sign-in is overloaded.
for (const id of ['edge-cached', 'edge-uncached']) {
  const base = EDGE_SCENARIOS.find((e) => e.id === id)!;
  EDGE_SCENARIOS.push({
    ...base,
    id: `${id}-overload`,
    label: `${base.label}, while ${OVERLOAD_CONNECTIONS} connections request sign-in links flat out`,
    argv: () => serviceCommand(`${id}-overload`),
    overload: true,
  });
}

type Ratio = { label: string; numerator: string; denominator: string; target: number };

const RATIOS: Ratio[] = [
  { label: 'cached edge / ceiling', numerator: 'edge-cached', denominator: 'ceiling', target: 0.6 },
  { label: 'uncached edge / select-1 floor', numerator: 'edge-uncached', denominator: 'select1', target: 0.8 },
];

/** p99 under sign-in overload ÷ p99 alone, same run: at most this. */
const OVERLOAD_P99_FACTOR = 2;

/**
 * Sign-in flat out beside the measured load: a wrk of its own, started before the warm-up and
 * running past the measured window. Mail is deferred meanwhile (a trigger, as in ours-request), so
 * that what competes with the edge is the sign-in requests themselves.
 */
function overloadMonitor(ctx: Context): Monitor {
  let flood: Promise<WrkResult> | null = null;
  const admin = () => postgres(ctx.database.url, { max: 1, onnotice: () => {} });
  return {
    async start() {
      const sql = admin();
      await sql.unsafe(`
        create or replace function bench_defer_mail() returns trigger language plpgsql as
          $$ begin new.next_attempt_at := new.next_attempt_at + interval '10 minutes'; return new; end $$;
        drop trigger if exists bench_defer_mail on mail_outbox;
        create trigger bench_defer_mail before insert on mail_outbox for each row execute function bench_defer_mail();`);
      await sql.end();
      flood = runWrk({
        url: `${ctx.baseUrl}/v2/visitor/auth/magic-link`,
        headers: { Host: ctx.seed.host, 'X-Forwarded-For': '127.0.0.1', 'Content-Type': 'application/json' },
        dynamic: {
          method: 'POST',
          path: '/v2/visitor/auth/magic-link',
          body: '{"email":"{v}"}',
          source: `email:${crypto.randomUUID().slice(0, 8)}`,
        },
        seconds: ctx.settings.warmup + ctx.settings.seconds + 1,
        threads: 1,
        connections: OVERLOAD_CONNECTIONS,
        cpu: ctx.settings.pinning.loadCpu,
        retryAfterMs: 1000, // refused clients come back after Retry-After (1 s), as browsers and servers are told to
      });
    },
    measureStart() {},
    measureEnd() {},
    async finish() {
      const result = await flood!;
      const sql = admin();
      await sql.unsafe(`drop trigger if exists bench_defer_mail on mail_outbox; delete from mail_outbox where status = 'pending';`);
      await sql.end();
      return {
        signInRps: result.rps,
        signInRefused: result.non2xx,
        signInAnswered: result.requests,
        signInP50Us: result.p50Us,
        signInP99Us: result.p99Us,
        signInSocketErrors: result.socketErrors,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// How it is measured: bench/lib/runner.ts (the method shared by every section)

/**
 * The runner's scenario for an edge scenario. Its sample request (one by hand, before any load: a bench
 * of wrong answers measures nothing) must show the expected status and headers.
 */
function edgeScenario(edge: EdgeScenario): Scenario<Context> {
  return {
    id: edge.id,
    label: edge.label,
    argv: (ctx) => edge.argv(ctx),
    env: edge.env,
    cwd: ROOT,
    database: edge.usesDatabase ? (ctx) => ctx.database : null,
    ...(edge.overload
      ? {
          async prepare(ctx: Context, baseUrl: string) {
            ctx.baseUrl = baseUrl;
            await raiseLimits(ctx.database.url, 'bench');
          },
          monitor: overloadMonitor,
        }
      : {}),
    async sample(ctx, baseUrl) {
      const dynamic = edge.dynamic?.(ctx);
      const headers = edge.headers(ctx);
      const expected = edge.expect(ctx);
      const sample = await fetch(`${baseUrl}${EDGE_PATH}`, {
        headers: dynamic ? { ...headers, Cookie: dynamic.first } : headers,
        redirect: 'manual',
      });
      if (sample.status !== expected.status) {
        throw new BenchError(
          `sample request answered ${sample.status} (reason ${sample.headers.get('x-visitor-reason') ?? '-'}), expected ${expected.status}`,
        );
      }
      for (const [name, value] of Object.entries(expected.headers ?? {})) {
        if (sample.headers.get(name) !== value)
          throw new BenchError(`sample response header ${name} = ${sample.headers.get(name)}, expected ${value}`);
      }
    },
    load: async (ctx): Promise<Load> => ({ path: EDGE_PATH, headers: edge.headers(ctx), dynamic: edge.dynamic?.(ctx) }),
  };
}

const SCENARIOS = EDGE_SCENARIOS.map(edgeScenario);

// ---------------------------------------------------------------------------------------------
// Report

function report(results: Result[], settings: Settings): { misses: number } {
  const cpuIds = [...new Set(results.flatMap((r) => Object.keys(r.cpuBusy)))].sort();
  const rows = [
    [
      'scenario',
      'req/s',
      'p50',
      'p99',
      'non-2xx',
      'sock err',
      'RSS MiB',
      'CPU µs/req srv',
      'pg',
      'wrk',
      ...cpuIds.map((c) => `CPU${c} busy`),
      'steal',
      'other before',
      'during',
      'db tx/req',
    ],
    ...results.map((r) => [
      r.id,
      fmt.int(r.rps),
      fmt.us(r.p50Us),
      fmt.us(r.p99Us),
      fmt.int(r.non2xx),
      fmt.int(r.socketErrors),
      fmt.mib(r.rssMiB),
      fmt.num(r.serverCpuUsPerRequest, 1),
      fmt.num(r.pgCpuUsPerRequest, 1),
      fmt.num(r.wrkCpuUsPerRequest, 1),
      ...cpuIds.map((c) => (r.cpuBusy[c] === undefined ? '-' : `${r.cpuBusy[c]!.toFixed(0)} %`)),
      `${r.stealPercent.toFixed(0)} %`,
      `${r.otherBeforePercent.toFixed(0)} %`,
      `${r.otherCpuPercent.toFixed(0)} %`,
      r.dbTransactionsPerRequest === null ? '-' : r.dbTransactionsPerRequest.toFixed(3),
    ]),
  ];
  console.log(`\n${table(rows)}\n`);
  for (const r of results) console.log(`  ${r.id.padEnd(14)} ${r.label}`);
  console.log(
    '  CPU µs/req: user+system time per measured request of the server process (srv), of the PostgreSQL backends\n' +
      '  it holds open (pg) and of wrk. CPUn busy: whole-core utilisation. steal: taken by the hypervisor. other:\n' +
      '  CPU of every other process on the machine (from /proc), % of one core, in the idle second before the load\n' +
      '  and during it — tens of % mean the req/s of that row is disturbed; the CPU µs/req columns suffer less.',
  );

  console.log('\nratios (req/s)');
  let misses = 0;
  const byId = new Map(results.map((r) => [r.id, r]));
  for (const ratio of RATIOS) {
    const a = byId.get(ratio.numerator);
    const b = byId.get(ratio.denominator);
    if (!a || !b) {
      console.log(`  ${ratio.label.padEnd(32)} (not run)`);
      continue;
    }
    const value = a.rps / b.rps;
    const pass = value >= ratio.target;
    if (!pass) misses++;
    // Noise-resistant companion: the same ratio from CPU time per request (server + its backends).
    const cpuOf = (r: Result) => (r.serverCpuUsPerRequest ?? 0) + (r.pgCpuUsPerRequest ?? 0);
    const cpuRatio = cpuOf(a) > 0 ? cpuOf(b) / cpuOf(a) : null;
    console.log(
      `  ${ratio.label.padEnd(32)} ${(value * 100).toFixed(1).padStart(5)} %   target ≥ ${(ratio.target * 100).toFixed(0)} %   ${pass ? 'PASS' : 'MISS'}` +
        `   | by CPU µs/req (srv+pg): ${fmt.num(cpuOf(b), 1)} vs ${fmt.num(cpuOf(a), 1)} → ${cpuRatio === null ? '-' : `${(cpuRatio * 100).toFixed(1)} %`}`,
    );
    const disturbed = [a, b].filter((r) => r.otherCpuPercent > NOISY);
    if (disturbed.length) {
      console.log(
        `  ${''.padEnd(32)} ^ req/s ratio unreliable: other processes took ${disturbed.map((r) => `${r.otherCpuPercent.toFixed(0)} % of a core during ${r.id}`).join(', ')}`,
      );
    }
  }
  for (const id of ['edge-cached', 'edge-uncached']) {
    const alone = byId.get(id);
    const loaded = byId.get(`${id}-overload`);
    if (!loaded) continue;
    const flood = loaded.monitor as { signInRps: number; signInRefused: number; signInAnswered: number; signInP99Us: number } | null;
    if (flood)
      console.log(
        `  ${`${id} under sign-in overload`.padEnd(32)} sign-in: ${fmt.int(flood.signInAnswered)} answered, ${fmt.int(flood.signInRefused)} refused (503), ` +
          `${fmt.int(flood.signInRps)} req/s, p99 ${fmt.us(flood.signInP99Us)}`,
      );
    if (!alone) {
      console.log(`  ${`${id} p99 overload / alone`.padEnd(32)} (${id} not run)`);
      continue;
    }
    const factor = loaded.p99Us / alone.p99Us;
    const pass = factor <= OVERLOAD_P99_FACTOR && loaded.non2xx + loaded.socketErrors === 0;
    if (!pass) misses++;
    console.log(
      `  ${`${id} p99 overload / alone`.padEnd(32)} ${factor.toFixed(2).padStart(5)} ×   target ≤ ${OVERLOAD_P99_FACTOR} ×   ${pass ? 'PASS' : 'MISS'}` +
        `   | p99 ${fmt.us(loaded.p99Us)} vs ${fmt.us(alone.p99Us)}; req/s ${fmt.int(loaded.rps)} vs ${fmt.int(alone.rps)}`,
    );
  }
  const noisy = results.filter((r) => r.otherCpuPercent > NOISY);
  if (noisy.length) {
    console.log(
      `\nwarning: other processes used > ${NOISY} % of a core during ${noisy.map((r) => r.id).join(', ')} — compare runs, or set BENCH_QUIET_WAIT / BENCH_RETRIES`,
    );
  }
  const bad = results.filter((r) => r.non2xx > 0 || r.socketErrors > 0);
  if (bad.length) console.log(`\nwarning: errors during load in ${bad.map((r) => r.id).join(', ')} — their req/s is not a clean number`);
  console.log(
    `\npinning: ${settings.pinning.pinned ? `yes — ${settings.pinning.why}; server affinity seen: ${[...new Set(results.map((r) => r.affinity))].join(', ')}` : `no — ${settings.pinning.why}`}` +
      '\n         (PostgreSQL is not pinned: its backends run on whichever core is free, usually competing with one of ours)',
  );
  return { misses };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  if (!findTool('wrk')) {
    console.error(WRK_INSTALL_HINT);
    return 2;
  }
  const settings = settingsFromEnv();
  const only = process.env.BENCH_ONLY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const scenarios = only ? SCENARIOS.filter((s) => only.includes(s.id)) : SCENARIOS;
  if (only && scenarios.length !== only.length) {
    throw new BenchError(`BENCH_ONLY names unknown scenarios; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  }

  printHeader('edge');
  console.log(
    `load: wrk -t${settings.threads} -c${settings.connections}, ${settings.warmup} s warm-up + ${settings.seconds} s measured per scenario; ` +
      `pinning: ${settings.pinning.pinned ? settings.pinning.why : `off (${settings.pinning.why})`}`,
  );

  const database = await newBenchDatabase();
  const dataDir = mkdtempSync(`${tmpdir()}/va-bench-`);
  const stopAll = async () => {
    await stopLive();
    await database.drop().catch((error) => console.error(`could not drop ${database.name}: ${(error as Error).message}`));
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    console.error('\ninterrupted: stopping servers and dropping the bench database');
    void stopAll().then(() => process.exit(130));
  });

  try {
    console.log(`database: ${database.name} on PostgreSQL ${database.serverVersion}`);
    const tokenSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
    const seeded = await seed(database.url, tokenSecret);
    const crowdFile = `${dataDir}/crowd-tokens.txt`;
    writeFileSync(crowdFile, `${seeded.crowdTokens.join('\n')}\n`);
    const results: Result[] = [];
    const ctx: Context = { database, seed: seeded, tokenSecret, dataDir, crowdFile, settings };
    // On a shared machine, BENCH_RETRIES runs a disturbed scenario again and keeps the quietest run.
    for (const scenario of scenarios) results.push(await runWithRetries(scenario, ctx, settings));
    const { misses } = report(results, settings);
    if (process.env.BENCH_OUT) {
      const out = {
        date: new Date().toISOString(),
        bun: Bun.version,
        postgres: database.serverVersion,
        settings,
        results: results.map(({ raw: _raw, ...r }) => r),
      };
      writeFileSync(process.env.BENCH_OUT, `${JSON.stringify(out, null, 2)}\n`);
    }
    console.log(`load average at the end: ${loadAverage()}`);
    const computed =
      RATIOS.filter((r) => results.some((x) => x.id === r.numerator) && results.some((x) => x.id === r.denominator)).length +
      ['edge-cached', 'edge-uncached'].filter((id) => results.some((x) => x.id === id) && results.some((x) => x.id === `${id}-overload`))
        .length;
    if (computed === 0) console.log('\nno ratio computed (BENCH_ONLY left out a scenario of each pair)');
    else
      console.log(
        misses
          ? `\n${misses} of ${computed} target(s) missed — this is a report; see docs/performance.md`
          : `\nall ${computed} targets met`,
      );
    return 0;
  } finally {
    await stopAll();
  }
}

try {
  process.exit(await main());
} catch (error) {
  console.error(`\nbench failed: ${error instanceof BenchError ? error.message : ((error as Error)?.stack ?? String(error))}`);
  process.exit(1);
}
