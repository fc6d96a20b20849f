// Growth (part of `bun run bench`; alone: `bun bench/growth.ts`): does the cost of the hot paths
// stay flat as the tables grow? The edge check (cached and uncached) and /v2/visitor/me are measured
// with 1 k, 100 k and 1 M sessions — and as many visitors and grants — in the tables.
//
// 1 000 real sessions (tokens from mintToken, stored as hashToken, each visitor granted
// /content/bench/*) are what wrk asks about, round robin (bench/wrk-dynamic.lua, `cycle:`). The rest
// are filler rows written by PostgreSQL itself (`insert … select … from generate_series`, one
// statement per table and level): visitors, live sessions whose token hashes are sha256 of a counter
// (never presented), and one grant per filler visitor. VACUUM (ANALYZE) after each level.
//
// Env: as bench/edge.ts (BENCH_CPU_PROF names the profiles growth-<scenario>; each level overwrites
// the last), plus BENCH_GROWTH_SECONDS (measured seconds per run, default 5),
// BENCH_GROWTH_WARMUP (default 2), BENCH_GROWTH_LEVELS (default 1000,100000,1000000).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { upsertGrant } from '../src/access/grants.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { Query, sql } from '../src/db/sql.ts';
import { deriveKeyRing } from '../src/tokens/keys.ts';
import { hashToken, mintToken } from '../src/tokens/tokens.ts';
import { seed, type BenchDatabase } from './lib/database.ts';
import { findTool, loadAverage } from './lib/process.ts';
import {
  BenchError,
  envNumber,
  fmt,
  markdown,
  newBenchDatabase,
  NOISY,
  printHeader,
  printVerdicts,
  resultRows,
  runWithRetries,
  settingsFromEnv,
  stopLive,
  table,
  type Result,
  type Scenario,
  type Settings,
  type Verdict,
} from './lib/runner.ts';
import { tenantIdOf } from './lib/sign-in-data.ts';
import { serviceCommand, serviceEnv } from './lib/service.ts';
import { WRK_INSTALL_HINT } from './lib/wrk.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REAL_SESSIONS = 1000;
const EDGE_PATH = '/_edge/visitor/access';

type Context = { database: BenchDatabase; tokenSecret: string; dataDir: string; tokensFile: string; sampleToken: string };

function growthEnv(ctx: Context, port: number, edgeCacheSeconds: number): Record<string, string> {
  return serviceEnv({ port, tokenSecret: ctx.tokenSecret, databaseUrl: ctx.database.url, dataDir: ctx.dataDir, edgeCacheSeconds });
}

function edge(id: string, cacheSeconds: number, label: string): Scenario<Context> {
  const headers = { Host: 'localhost', 'X-Original-URI': '/content/bench/x' };
  return {
    id,
    label,
    argv: () => serviceCommand(`growth-${id}`),
    env: (ctx, port) => growthEnv(ctx, port, cacheSeconds),
    cwd: ROOT,
    database: (ctx) => ctx.database,
    async sample(ctx, base) {
      const response = await fetch(`${base}${EDGE_PATH}`, { headers: { ...headers, Cookie: `__Host-visitor_session=${ctx.sampleToken}` } });
      if (response.status !== 204)
        throw new BenchError(`edge check answered ${response.status} (${response.headers.get('x-visitor-reason')}), expected 204`);
    },
    load: async (ctx) => ({
      path: EDGE_PATH,
      headers,
      dynamic: { method: 'GET', path: EDGE_PATH, header: 'Cookie: __Host-visitor_session={v}', source: `cycle:${ctx.tokensFile}` },
    }),
  };
}

function me(): Scenario<Context> {
  const headers = { Host: 'localhost', 'X-Forwarded-For': '127.0.0.1' };
  return {
    id: 'me',
    label: 'GET /v2/visitor/me',
    argv: () => serviceCommand('growth-me'),
    env: (ctx, port) => growthEnv(ctx, port, 5),
    cwd: ROOT,
    database: (ctx) => ctx.database,
    async sample(ctx, base) {
      const response = await fetch(`${base}/v2/visitor/me`, {
        headers: { ...headers, Cookie: `__Host-visitor_session=${ctx.sampleToken}` },
      });
      if (response.status !== 200) throw new BenchError(`/me answered ${response.status}: ${await response.text()}`);
    },
    load: async (ctx) => ({
      path: '/v2/visitor/me',
      headers,
      dynamic: { method: 'GET', path: '/v2/visitor/me', header: 'Cookie: __Host-visitor_session={v}', source: `cycle:${ctx.tokensFile}` },
    }),
  };
}

const SCENARIOS = [
  edge('edge-cached', 5, 'edge check, cached (EDGE_CACHE_SECONDS=5), 1 000 sessions round robin'),
  edge('edge-uncached', 0, 'edge check, uncached (one query per request), 1 000 sessions round robin'),
  me(),
];

/** The real sessions: what the requests present. */
async function seedReal(url: string, tokenSecret: string, file: string): Promise<string> {
  const db = openPostgres(url, { max: 2, applicationName: 'va-bench-growth' });
  try {
    const keys = await deriveKeyRing(tokenSecret.split(',').map((s) => s.trim()));
    const tenantId = await tenantIdOf(db, 'bench');
    const now = new Date();
    const emails = Array.from({ length: REAL_SESSIONS }, (_, i) => `real-${i}@example.com`);
    const visitors = await db.many<{ id: string; email: string }>(sql`
      insert into visitors (tenant_id, email, created_at) select ${tenantId}::uuid, e, ${now} from unnest(${emails}::text[]) as t(e) returning id, email`);
    const tokens = visitors.map(() => mintToken(keys, 'vs'));
    await db.many(sql`
      insert into sessions (tenant_id, visitor_id, token_hash, created_at, last_seen_at, expires_at, user_agent, ip)
      select ${tenantId}::uuid, v::uuid, h, ${now}, ${now}, ${new Date(now.getTime() + 30 * 86_400_000)}, 'bench', '127.0.0.1'
      from unnest(${visitors.map((v) => v.id)}::text[], ${tokens.map(hashToken)}::text[]) as x(v, h)`);
    for (const v of visitors) {
      await upsertGrant(
        db,
        tenantId,
        { email: v.email, resource: '/content/bench/*', kind: 'content', title: 'Bench', orderId: null, expiresAt: null },
        now,
      );
    }
    writeFileSync(file, `${tokens.join('\n')}\n`);
    return tokens[0]!;
  } finally {
    await db.close();
  }
}

/** Filler up to `level` sessions (and as many visitors and grants): PostgreSQL generates the rows. */
async function growTo(url: string, level: number): Promise<{ seconds: number; sessions: number }> {
  const db = openPostgres(url, { max: 1, applicationName: 'va-bench-growth' });
  const started = performance.now();
  try {
    const tenantId = await tenantIdOf(db, 'bench');
    const [{ n }] = (await db.many<{ n: number }>(sql`select count(*)::int as n from sessions`)) as [{ n: number }];
    const from = n;
    const to = level;
    if (to > from) {
      await db.transaction(async (tx) => {
        await tx.exec('set local synchronous_commit = off');
        await tx.many(sql`
          with v as (
            insert into visitors (tenant_id, email, created_at)
            select ${tenantId}::uuid, 'filler-' || i || '@example.com', now() from generate_series(${from}::int, ${to - 1}::int) as i
            returning id, email
          )
          insert into sessions (tenant_id, visitor_id, token_hash, created_at, last_seen_at, expires_at, user_agent, ip)
          select ${tenantId}::uuid, v.id, encode(sha256(convert_to(v.email, 'UTF8')), 'hex'), now(), now(), now() + interval '30 days', 'filler', '10.0.0.1'
          from v`);
        await tx.many(sql`
          insert into grants (tenant_id, email, resource, kind, title, granted_at, updated_at)
          select ${tenantId}::uuid, 'filler-' || i || '@example.com', '/content/filler/*', 'content', 'Filler', now(), now()
          from generate_series(${from}::int, ${to - 1}::int) as i`);
      });
      // As a live database would be: statistics, visibility map and hint bits set (otherwise the first
      // reads after a bulk insert write every page, which the measured run would pay for).
      await db.exec('vacuum (analyze) visitors');
      await db.exec('vacuum (analyze) sessions');
      await db.exec('vacuum (analyze) grants');
    }
    const [{ n: sessions }] = (await db.many<{ n: number }>(sql`select count(*)::int as n from sessions`)) as [{ n: number }];
    return { seconds: (performance.now() - started) / 1000, sessions };
  } finally {
    await db.close();
  }
}

/** The plans of the two lookups the measured paths make, at this size: index scans, or not. */
async function plans(url: string, token: string): Promise<string> {
  const db = openPostgres(url, { max: 1, applicationName: 'va-bench-growth' });
  try {
    const nodes = async (text: string, values: unknown[]) => {
      const rows = await db.many<{ 'QUERY PLAN': string }>(new Query(`explain ${text}`, values));
      return [
        ...new Set(
          rows
            .map((r) =>
              r['QUERY PLAN']
                .trim()
                .replace(/^->\s*/, '')
                .replace(/\s+\(cost.*$/, ''),
            )
            .filter((l) => /Scan|Join|Loop/.test(l)),
        ),
      ].join('; ');
    };
    const session = await nodes('select s.id from sessions s where s.token_hash = $1 and s.revoked_at is null and s.expires_at > now()', [
      hashToken(token),
    ]);
    const grants = await nodes(
      "select g.resource from grants g where g.tenant_id = (select id from tenants where handle = 'bench') and g.email = $1",
      ['real-0@example.com'],
    );
    return `sessions by token_hash: ${session} | grants by tenant+email: ${grants}`;
  } finally {
    await db.close();
  }
}

function growthVerdicts(results: { level: number; result: Result }[]): Verdict[] {
  const out: Verdict[] = [];
  for (const id of [...new Set(results.map((r) => r.result.id))]) {
    const runs = results.filter((r) => r.result.id === id).sort((a, b) => a.level - b.level);
    if (runs.length < 2) continue;
    const first = runs[0]!;
    const last = runs.at(-1)!;
    const ratio = last.result.rps / first.result.rps;
    const cpu = (r: Result) => (r.serverCpuUsPerRequest ?? 0) + (r.pgCpuUsPerRequest ?? 0);
    const disturbed = runs
      .filter((r) => r.result.otherCpuPercent > NOISY)
      .map((r) => `${fmt.int(r.level)}: ${r.result.otherCpuPercent.toFixed(0)} %`);
    out.push({
      label: `growth ${id}: req/s at ${fmt.int(last.level)} / at ${fmt.int(first.level)} rows`,
      value: `${(ratio * 100).toFixed(0)} %`,
      target: '≥ 80 % (flat)',
      pass: ratio >= 0.8 && runs.every((r) => r.result.non2xx + r.result.socketErrors === 0),
      note:
        `${runs.map((r) => `${fmt.int(r.level)}: ${fmt.int(r.result.rps)} req/s, p99 ${fmt.us(r.result.p99Us)}, ${fmt.num(cpu(r.result), 1)} µs CPU/req`).join(' → ')}` +
        (disturbed.length ? `; other processes during ${disturbed.join(', ')}` : ''),
    });
  }
  return out;
}

async function main(): Promise<number> {
  if (!findTool('wrk')) {
    console.error(WRK_INSTALL_HINT);
    return 2;
  }
  const base = settingsFromEnv();
  const settings: Settings = { ...base, seconds: envNumber('BENCH_GROWTH_SECONDS', 5, 1), warmup: envNumber('BENCH_GROWTH_WARMUP', 2, 0) };
  const levels = (process.env.BENCH_GROWTH_LEVELS ?? '1000,100000,1000000').split(',').map(Number);
  if (levels.some((l) => !Number.isInteger(l) || l < REAL_SESSIONS) || levels.some((l, i) => i > 0 && l <= levels[i - 1]!)) {
    throw new BenchError(`BENCH_GROWTH_LEVELS must be increasing whole numbers ≥ ${REAL_SESSIONS}`);
  }
  const only = process.env.BENCH_ONLY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const scenarios = only ? SCENARIOS.filter((s) => only.includes(s.id)) : SCENARIOS;

  printHeader('growth');
  console.log(
    `load: wrk -t${settings.threads} -c${settings.connections}, ${settings.warmup} s warm-up + ${settings.seconds} s measured per run; levels ${levels.map(fmt.int).join(', ')} sessions`,
  );

  const database = await newBenchDatabase();
  const tmp = mkdtempSync(`${tmpdir()}/va-bench-growth-`);
  const cleanup = async () => {
    await stopLive();
    await database.drop().catch((error) => console.error(`could not drop ${database.name}: ${(error as Error).message}`));
    rmSync(tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    console.error('\ninterrupted: stopping servers and dropping the bench database');
    void cleanup().then(() => process.exit(130));
  });
  try {
    const tokenSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
    await seed(database.url, tokenSecret);
    const tokensFile = `${tmp}/sessions.txt`;
    const sampleToken = await seedReal(database.url, tokenSecret, tokensFile);
    const ctx: Context = { database, tokenSecret, dataDir: `${tmp}/data`, tokensFile, sampleToken };
    const results: { level: number; result: Result }[] = [];
    const planLines: string[] = [];
    for (const level of levels) {
      const grown = await growTo(database.url, level);
      const plan = await plans(database.url, sampleToken);
      planLines.push(`  ${fmt.int(grown.sessions).padStart(9)} sessions: ${plan}`);
      console.log(`level ${fmt.int(grown.sessions)} sessions, visitors and grants (filled in ${grown.seconds.toFixed(1)} s)`);
      for (const scenario of scenarios) {
        const result = await runWithRetries({ ...scenario, id: scenario.id }, ctx, settings);
        results.push({ level, result });
      }
    }
    const rows = resultRows(results.map((r) => ({ ...r.result, id: `${r.result.id} @ ${fmt.int(r.level)}` })));
    console.log(`\n${table(rows)}\n`);
    console.log(
      '  errors must be 0; CPU µs/req of the server (srv) and its PostgreSQL backends (pg); see the sign-in section for the columns.',
    );
    console.log('\nquery plans (EXPLAIN) at each size:');
    for (const line of planLines) console.log(line);
    const verdicts = growthVerdicts(results);
    console.log('\ntargets');
    printVerdicts(verdicts);
    console.log(`\nmarkdown:\n\n${markdown(rows)}\n`);
    if (process.env.BENCH_OUT) {
      writeFileSync(
        process.env.BENCH_OUT,
        `${JSON.stringify({ date: new Date().toISOString(), bun: Bun.version, postgres: database.serverVersion, settings, levels, results: results.map((r) => ({ level: r.level, ...r.result, raw: undefined })), verdicts }, null, 2)}\n`,
      );
    }
    console.log(`load average at the end: ${loadAverage()}`);
    return 0;
  } finally {
    await cleanup();
  }
}

if (import.meta.main) {
  try {
    process.exit(await main());
  } catch (error) {
    console.error(`\nbench failed: ${error instanceof BenchError ? error.message : ((error as Error)?.stack ?? String(error))}`);
    await stopLive();
    process.exit(1);
  }
}
