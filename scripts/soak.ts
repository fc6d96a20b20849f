// `bun run soak` — a bounded soak (loopback only; SOAK_SECONDS, default 120): many virtual shoppers
// sign in, pass edge checks, read /me and sign out against TWO service instances on one real
// PostgreSQL. At the end: zero 5xx, every requested link sent exactly once, every session created
// readable, memory flat (RSS after warm-up vs at the end), no connection leak. Exit 1 on a failure.
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { upsertGrant } from '../src/access/grants.ts';
import { migrate } from '../src/db/migrate.ts';
import { SIDE_POOL_SIZE } from '../src/db/open.ts';
import { openPostgres, POOL_SIZE } from '../src/db/postgres.ts';
import { sql } from '../src/db/sql.ts';
import { setOverride } from '../src/limits/policies.ts';
import { MailCapture } from '../test/support/mail-capture.ts';
import { startService, type ServiceProcess } from '../test/support/service-process.ts';
import { insertTestTenant } from '../test/support/tenants.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const SHOPPERS = Number(process.env.SOAK_SHOPPERS ?? 24);
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
/** Each pool's connections at most per instance, by its application_name. */
const POOL_MAX: Record<string, number> = {
  'visitor-access': POOL_SIZE,
  'visitor-access-counters': SIDE_POOL_SIZE.counters,
  'visitor-access-outbox': SIDE_POOL_SIZE.outbox,
  'visitor-access-webhooks': SIDE_POOL_SIZE.webhooks,
};

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

const name = `va_soak_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
const db = openPostgres(url.href, { applicationName: 'va-soak-driver' }); // not counted as the service's
const mail = await new MailCapture().start();
const instances: ServiceProcess[] = [];
const failures: string[] = [];

try {
  await migrate(db);
  const tenant = await insertTestTenant(db, 'gharart');
  // Limits stay on, with quotas above the offered load (everything comes from 127.0.0.1).
  for (const policy of ['magic-link:per-ip', 'magic-link:per-tenant', 'verify:per-ip']) await setOverride(db, tenant.id, policy, 1_000_000);
  const env = {
    NODE_ENV: 'production',
    PUBLIC_URL: 'http://localhost', // required in production (where console links point)
    TOKEN_SECRET: 'soak-secret-0123456789abcdefghijklmnopqrstuv',
    DATABASE_URL: url.href,
    SMTP_URL: mail.url,
    LOG_LEVEL: 'info',
  };
  instances.push(await startService(env), await startService(env));
  const [a, b] = instances as [ServiceProcess, ServiceProcess];

  const counts = new Map<number, number>();
  const requested = new Set<string>();
  let sessionsCreated = 0;
  let sessionsReadable = 0;
  const count = (status: number) => counts.set(status, (counts.get(status) ?? 0) + 1);

  async function call(instance: ServiceProcess, path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(`${instance.base}${path}`, { redirect: 'manual', ...init });
    count(response.status);
    return response;
  }

  async function waitForMail(email: string, deadline: number) {
    while (Date.now() < deadline) {
      const found = mail.to(email)[0];
      if (found) return found;
      await Bun.sleep(25);
    }
    return null;
  }

  async function shopper(id: number, until: number): Promise<void> {
    let round = 0;
    while (Date.now() < until) {
      const email = `soak-${id}-${round++}@example.com`;
      const [first, second] = round % 2 ? [a, b] : [b, a];
      await upsertGrant(
        db,
        tenant.id,
        { email, resource: '/content/soak/*', kind: 'content', title: null, orderId: null, expiresAt: null },
        new Date(),
      );
      const asked = await call(first, '/v2/visitor/auth/magic-link', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      if (asked.status !== 202) continue;
      requested.add(email);
      const message = await waitForMail(email, Date.now() + 15_000);
      if (!message?.link) {
        failures.push(`no mail for ${email}`);
        continue;
      }
      const path = new URL(message.link).pathname;
      const page = await call(second, path);
      const check = page.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const confirmed = await call(second, path, {
        method: 'POST',
        headers: { origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded', cookie: check },
      });
      const session = confirmed.headers
        .getSetCookie()
        .find((c) => c.startsWith('__Host-visitor_session='))
        ?.split(';')[0];
      if (!session) continue;
      sessionsCreated++;
      for (let i = 0; i < 5; i++) {
        const edge = await call(i % 2 ? a : b, '/_edge/visitor/access', {
          headers: { cookie: session, 'x-original-uri': `/content/soak/${i}` },
        });
        if (edge.status !== 204) failures.push(`edge ${edge.status} for ${email}`);
      }
      const me = await call(first, '/v2/visitor/me', { headers: { cookie: session } });
      if (me.status === 200) sessionsReadable++;
      await me.arrayBuffer();
      if (round % 3 === 0)
        await call(second, '/v2/visitor/auth/logout', {
          method: 'POST',
          headers: { cookie: session, origin: 'http://localhost', 'content-type': 'application/json' },
          body: '{}',
        });
    }
  }

  // Warm up, then measure RSS as the baseline.
  await Promise.all(Array.from({ length: 4 }, (_, i) => shopper(1000 + i, Date.now() + 3000)));
  const rssStart = instances.map((i) => rssKb(i.process.pid));
  const started = Date.now();
  await Promise.all(Array.from({ length: SHOPPERS }, (_, i) => shopper(i, started + SECONDS * 1000)));
  const elapsed = (Date.now() - started) / 1000;

  // The outbox must drain: every requested link sent exactly once.
  const drainDeadline = Date.now() + 10_000;
  while ([...requested].some((email) => mail.to(email).length === 0) && Date.now() < drainDeadline) await Bun.sleep(100);
  await Bun.sleep(1500);
  const missing = [...requested].filter((email) => mail.to(email).length === 0);
  const doubled = [...requested].filter((email) => mail.to(email).length > 1);
  const rssEnd = instances.map((i) => rssKb(i.process.pid));
  const pools: { application_name: string; n: number }[] = await admin.unsafe(
    `select application_name, count(*)::int as n from pg_stat_activity where datname = $1 and application_name like 'visitor-access%'
     group by application_name`,
    [name],
  );
  const connectionsAtEnd = pools.reduce((n, pool) => n + pool.n, 0);
  const fiveHundreds = [...counts].filter(([status]) => status >= 500).reduce((n, [, c]) => n + c, 0);
  const total = [...counts.values()].reduce((n, c) => n + c, 0);

  if (fiveHundreds) failures.push(`${fiveHundreds} answers were 5xx`);
  if (missing.length) failures.push(`${missing.length} requested links never sent`);
  if (doubled.length) failures.push(`${doubled.length} links sent twice`);
  if (sessionsReadable !== sessionsCreated) failures.push(`${sessionsCreated - sessionsReadable} sessions not readable`);
  for (const pool of pools)
    if (pool.n > instances.length * (POOL_MAX[pool.application_name] ?? 0))
      failures.push(`connection leak: ${pool.n} connections named ${pool.application_name}`);
  const growth = rssEnd.map((end, i) => end / Math.max(1, rssStart[i]!));
  if (SECONDS >= 60 && growth.some((g) => g > 1.5)) failures.push(`memory grew ${growth.map((g) => g.toFixed(2)).join(', ')}×`);
  const [leftover] = await db.many<{ n: number }>(sql`select count(*)::int as n from mail_outbox where status <> 'sent'`);

  console.log(`soak: ${elapsed.toFixed(0)} s, ${SHOPPERS} shoppers, 2 instances, one PostgreSQL`);
  console.log(
    `  requests ${total} (${(total / elapsed).toFixed(0)}/s): ${[...counts]
      .sort()
      .map(([s, c]) => `${s}×${c}`)
      .join(' ')}`,
  );
  console.log(
    `  links requested ${requested.size}, mails ${mail.messages.filter((m) => m.to.startsWith('soak-')).length}, missing ${missing.length}, doubled ${doubled.length}, outbox not sent ${leftover?.n}`,
  );
  console.log(`  sessions created ${sessionsCreated}, readable ${sessionsReadable}`);
  console.log(
    `  RSS (MB) start ${rssStart.map((k) => (k / 1024).toFixed(0)).join('/')} → end ${rssEnd.map((k) => (k / 1024).toFixed(0)).join('/')}; connections at end ${connectionsAtEnd}`,
  );
  console.log(failures.length ? `soak: FAILED\n  - ${[...new Set(failures)].slice(0, 20).join('\n  - ')}` : 'soak: ok');
} finally {
  await Promise.all(instances.map((i) => i.stop()));
  await mail.close();
  await db.close();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
process.exit(failures.length ? 1 : 0);
