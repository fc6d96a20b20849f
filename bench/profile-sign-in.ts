// `bun bench/profile-sign-in.ts` — where the sign-in paths' time goes. Companion to bench/sign-in.ts.
//
// Each step of request-link, consume and the outbox worker runs in-process against a fresh bench
// database, the way the service runs it: 32 operations in flight over a pool of 10 connections.
// For each: operations/s, this process's CPU µs per operation (client: JS, postgres.js, crypto),
// the PostgreSQL backends' CPU µs per operation, and what the backends were waiting on (sampled from
// pg_stat_activity every 10 ms: a row lock means requests queue behind one hot row).
//
// Env: BENCH_DATABASE_URL (as the bench), PROFILE_SECONDS (per step, default 3), PROFILE_STEPS
// (only steps whose name contains one of these comma-separated words). Pinned to one CPU when
// taskset allows (PostgreSQL gets the other). About a minute.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import type { Db } from '../src/db/db.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { sql } from '../src/db/sql.ts';
import { RateLimiter } from '../src/limits/limiter.ts';
import { classifyLink, consumeLink, requestMagicLink } from '../src/magic-link/magic-link.ts';
import { MailOutbox } from '../src/mail/outbox.ts';
import { mailKinds } from '../src/magic-link/mail-kind.ts';
import { createSmtpTransport, type MailTransport } from '../src/mail/transport.ts';
import { createLogger } from '../src/log.ts';
import { systemClock } from '../src/clock.ts';
import { deriveKeyRing } from '../src/tokens/keys.ts';
import { findTenantByHandle } from '../src/tenants/tenants.ts';
import { createBenchDatabase, seed } from './lib/database.ts';
import { choosePinning, cpuTimeOfMs, freePort, start, waitForHttp } from './lib/process.ts';
import { mintLinks, raiseLimits } from './lib/sign-in-data.ts';

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 3);
const STEPS = process.env.PROFILE_STEPS?.split(',').map((s) => s.trim());
const wanted = (name: string) => !STEPS || STEPS.some((s) => name.includes(s));

const pinning = process.env.PROFILE_PINNED ? null : choosePinning();
if (pinning?.pinned) {
  const child = Bun.spawn(['taskset', '-c', pinning.serverCpu!, process.execPath, fileURLToPath(import.meta.url)], {
    env: { ...process.env, PROFILE_PINNED: pinning.serverCpu! },
    stdio: ['inherit', 'inherit', 'inherit'],
  });
  process.exit(await child.exited);
}

const adminUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const database = await createBenchDatabase(adminUrl);
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
const closers: (() => Promise<unknown>)[] = [];

/** Runs `op` with 32 in flight for SECONDS; CPU of this process and of the pool's backends per op. */
async function step(name: string, db: Db, op: (i: number) => Promise<unknown>, note = ''): Promise<void> {
  if (!wanted(name)) return;
  let i = 0;
  const loop = async (until: number) => {
    while (performance.now() < until) await op(i++);
  };
  await Promise.all(Array.from({ length: 32 }, () => loop(performance.now() + 500))); // warm-up: opens all 10 connections
  const pids = ((await admin.unsafe(`select pid from pg_stat_activity where datname = $1 and application_name = 'va-profile'`, [database.name])) as unknown as { pid: number }[]).map((r) => r.pid);
  const waits = new Map<string, number>();
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const rows = (await admin.unsafe(`select coalesce(wait_event_type || ':' || wait_event, 'CPU') as w, state from pg_stat_activity where pid = any($1::int[])`, [pids])) as unknown as { w: string; state: string }[];
      for (const r of rows) if (r.state === 'active') waits.set(r.w, (waits.get(r.w) ?? 0) + 1);
      samples++;
      await Bun.sleep(10);
    }
  })();
  const pgBefore = cpuTimeOfMs(pids);
  const cpuBefore = process.cpuUsage();
  const first = i;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 32 }, () => loop(t0 + SECONDS * 1000)));
  const elapsed = (performance.now() - t0) / 1000;
  const ops = i - first;
  const cpu = process.cpuUsage(cpuBefore);
  const pgAfter = cpuTimeOfMs(pids);
  sampling = false;
  await sampler;
  let pgMs = 0;
  for (const [pid, after] of pgAfter) pgMs += after - (pgBefore.get(pid) ?? after);
  const clientUs = (cpu.user + cpu.system) / ops;
  const top = [...waits.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const active = [...waits.values()].reduce((a, b) => a + b, 0) / Math.max(1, samples);
  console.log(
    `  ${name.padEnd(58)} ${Math.round(ops / elapsed).toLocaleString('en-US').padStart(7)} op/s  client ${clientUs.toFixed(0).padStart(5)} µs  pg ${((pgMs * 1000) / ops).toFixed(0).padStart(5)} µs` +
      `   backends active ${active.toFixed(1)}: ${top.map(([w, n]) => `${w} ${Math.round((100 * n) / Math.max(1, [...waits.values()].reduce((a, b) => a + b, 0)))} %`).join(', ')}${note ? `   ${note}` : ''}`,
  );
}

try {
  const tokenSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
  await seed(database.url, tokenSecret);
  await raiseLimits(database.url, 'bench');
  const keys = await deriveKeyRing([tokenSecret]);
  const db = openPostgres(database.url, { max: 10, applicationName: 'va-profile' });
  closers.push(() => db.close());
  const tenant = (await findTenantByHandle(db, 'bench'))!;
  const limiter = new RateLimiter(db, systemClock);
  const run = crypto.randomUUID().slice(0, 8);
  const idle = { wake() {} } as unknown as MailOutbox;
  const linkDeps = { db, keys, clock: systemClock, outbox: idle, sessionTtlSeconds: 86_400 };

  console.log(`profile of the sign-in paths — ${new Date().toISOString()}, ${SECONDS} s per step, 32 in flight over a pool of 10`);
  console.log('\nrequest-link (POST /v2/visitor/auth/magic-link = limiter.hit + requestMagicLink; the route adds JSON, the request log, the mail)');
  await step('limiter.hit magic-link: one IP, one tenant (as the bench)', db, (i) => limiter.hit('magic-link', tenant.id, { ip: '127.0.0.1', tenant: tenant.id, email: `a-${run}-${i}@example.com` }), '4 counters, 2 of them the same rows every time');
  await step('limiter.hit magic-link: a new IP each time, one tenant', db, (i) => limiter.hit('magic-link', tenant.id, { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, tenant: tenant.id, email: `b-${run}-${i}@example.com` }), 'only the per-tenant row is shared');
  const asyncDb = openPostgres(database.url, { synchronousCommit: 'off', applicationName: 'va-profile' });
  closers.push(() => asyncDb.close());
  const asyncLimiter = new RateLimiter(asyncDb, systemClock);
  await step('what-if: limiter.hit, one IP, synchronous_commit=off', asyncDb, (i) => asyncLimiter.hit('magic-link', tenant.id, { ip: '127.0.0.1', tenant: tenant.id, email: `f-${run}-${i}@example.com` }), 'the counters\' commits do not wait for the WAL flush');
  await step('limiter.hit magic-link: per-email counters only', db, (i) => limiter.hit('magic-link', tenant.id, { email: `c-${run}-${i}@example.com` }), 'no shared row');
  await step('requestMagicLink (the CTE: visitor, link, audit, outbox)', db, (i) =>
    requestMagicLink(linkDeps, { tenant, email: `d-${run}-${i}@example.com`, returnTo: '/', linkOrigin: 'http://localhost', requestId: `req_${run}_${i}` }),
  );
  await step('both, in sequence (one IP, one tenant)', db, async (i) => {
    await limiter.hit('magic-link', tenant.id, { ip: '127.0.0.1', tenant: tenant.id, email: `e-${run}-${i}@example.com` });
    await requestMagicLink(linkDeps, { tenant, email: `e-${run}-${i}@example.com`, returnTo: '/', linkOrigin: 'http://localhost', requestId: `req_e${run}_${i}` });
  });

  console.log('\nconsume (POST /_edge/visitor/access/t/{token}: classifyLink + consumeLink; verify adds limiter.hit)');
  const file = `/tmp/va-profile-links-${run}.txt`;
  await mintLinks(database.url, tokenSecret, 'bench', 60_000, file);
  const tokens = (await Bun.file(file).text()).trim().split('\n');
  rmSync(file, { force: true });
  let next = 0;
  await step('classifyLink + consumeLink', db, async () => {
    const state = await classifyLink(linkDeps, tenant, tokens[next++]!);
    if (state.kind !== 'valid') throw new Error(`link ${state.kind}`);
    await consumeLink(linkDeps, state.link, { userAgent: 'bench', ip: '127.0.0.1', sessionTtlSeconds: 86_400, requestId: 'req_x', via: 'link' });
  });
  await step('limiter.hit verify: one IP', db, () => limiter.hit('verify', tenant.id, { ip: '127.0.0.1' }, (p) => p.label !== 'wrong-code-per-ip'));
  await step('what-if: limiter.hit verify, one IP, synchronous_commit=off', asyncDb, () => asyncLimiter.hit('verify', tenant.id, { ip: '127.0.0.1' }, (p) => p.label !== 'wrong-code-per-ip'));

  console.log('\noutbox worker (MailOutbox.tick until empty: claim 50, render + send concurrently, record the sent ones (one statement per group))');
  const smtpPort = freePort();
  const httpPort = freePort();
  const sink = start([process.execPath, 'bench/servers/smtp-sink.ts'], { PATH: process.env.PATH ?? '', SMTP_PORT: String(smtpPort), HTTP_PORT: String(httpPort) }, fileURLToPath(new URL('..', import.meta.url)));
  closers.push(() => sink.stop());
  await waitForHttp(`http://127.0.0.1:${httpPort}/`, sink);
  const logger = createLogger('warn');
  const nothing: MailTransport = { send: async () => {}, close() {} };
  const smtp = createSmtpTransport(`smtp://127.0.0.1:${smtpPort}`);
  for (const [label, transport] of [
    ['no transport (send is a no-op): the database side', nothing],
    [`SMTP pool (≤ ${smtp.settings.maxConnections} connections) to the local SMTP sink`, smtp],
  ] as const) {
    const name = `outbox: ${label}`;
    if (!wanted(name)) continue;
    const count = 6000;
    for (let i = 0; i < count; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, j) => requestMagicLink(linkDeps, { tenant, email: `m-${run}-${label.length}-${i + j}@example.com`, returnTo: '/', linkOrigin: 'http://localhost', requestId: `req_m${i + j}` })));
    }
    const outbox = new MailOutbox({ db, keys, clock: systemClock, transport, logger, defaultFrom: 'Bench <bench@example.com>', kinds: mailKinds(900) });
    const pids = ((await admin.unsafe(`select pid from pg_stat_activity where datname = $1 and application_name = 'va-profile'`, [database.name])) as unknown as { pid: number }[]).map((r) => r.pid);
    const pgBefore = cpuTimeOfMs(pids);
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    let sent = 0;
    for (;;) {
      const n = await outbox.tick();
      if (n === 0) break;
      sent += n;
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    let pgMs = 0;
    for (const [pid, after] of cpuTimeOfMs(pids)) pgMs += after - (pgBefore.get(pid) ?? after);
    console.log(
      `  ${name.padEnd(58)} ${Math.round(sent / elapsed).toLocaleString('en-US').padStart(7)} mail/s  client ${((cpu.user + cpu.system) / sent).toFixed(0).padStart(5)} µs  pg ${((pgMs * 1000) / sent).toFixed(0).padStart(5)} µs   ${sent} mails, one tick at a time`,
    );
    transport.close();
  }
} finally {
  for (const close of closers.reverse()) await close().catch(() => {});
  await admin.end({ timeout: 2 });
  await database.drop();
}
