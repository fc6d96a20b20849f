// Retention (issue #20 §5): the janitor deletes what ended more than RETENTION_*_DAYS ago, table by
// table, in bounded batches, one instance at a time; what is just inside its window stays. Times
// come from the injected clock: each row is written as having ended just inside or just past its
// table's window, then one sweep runs.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { upsertOperator } from '../src/console/operators.ts';
import type { Db } from '../src/db/db.ts';
import { Query, Raw, sql } from '../src/db/sql.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { Janitor } from '../src/ops/janitor.ts';
import { insertEndpoint } from '../src/webhooks/queries.ts';
import { ConsoleClient } from './console-client.ts';
import { usingPostgres } from './support/database.ts';
import { Harness } from './support/harness.ts';

let h: Harness;
let visitorId: string;
let endpointId: string;
const DAY = 86_400;
const MINUTE = 60;

beforeAll(async () => {
  h = await Harness.start();
  const visitor = await h.db.one<{ id: string }>(sql`
    insert into visitors (tenant_id, email, created_at) values (${h.gharart.id}::uuid, 'kept@example.com', ${h.clock.now()}) returning id`);
  visitorId = visitor!.id;
  endpointId = crypto.randomUUID();
  await insertEndpoint(h.db, {
    id: endpointId,
    tenant_id: h.gharart.id,
    url: 'https://hooks.example.test/events',
    events: ['*'],
    description: null,
    include_email: false,
    secret_sealed: 'unused',
    created_at: h.clock.now(),
  });
});
afterAll(() => h.close());

/** `seconds` before now on the test clock. */
function ago(seconds: number): Date {
  return new Date(h.clock.now().getTime() - seconds * 1000);
}

/** Just inside a window of `days` (a minute before it ends), and just past it (a minute after). */
function edges(days: number): { inside: Date; past: Date } {
  return { inside: ago(days * DAY - MINUTE), past: ago(days * DAY + MINUTE) };
}

function days() {
  return h.deps.config.retentionDays;
}

/** The ids of a table's rows among `ids` that are still there. */
async function left(table: string, ids: string[]): Promise<string[]> {
  const column = table === 'request_log' ? 'request_id' : table === 'console_sessions' ? 'session_id' : 'id';
  const rows = await h.db.many<{ id: string }>(
    sql`select ${rawIdent(column)}::text as id from ${rawIdent(table)} where ${rawIdent(column)}::text = any(${ids}::text[])`,
  );
  return rows.map((r) => r.id).sort();
}

function rawIdent(name: string): Raw {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`not an identifier: ${name}`);
  return new Raw(name);
}

async function session(input: { expiresAt: Date; revokedAt?: Date | null; createdAt?: Date }): Promise<string> {
  const row = await h.db.one<{ id: string }>(sql`
    insert into sessions (tenant_id, visitor_id, token_hash, created_at, last_seen_at, expires_at, revoked_at)
    values (${h.gharart.id}::uuid, ${visitorId}::uuid, ${crypto.randomUUID()}, ${input.createdAt ?? ago(400 * DAY)},
            ${input.createdAt ?? ago(400 * DAY)}, ${input.expiresAt}, ${input.revokedAt ?? null})
    returning id`);
  return row!.id;
}

async function link(input: { expiresAt: Date | null; createdAt?: Date; usedAt?: Date }): Promise<string> {
  const row = await h.db.one<{ id: string }>(sql`
    insert into magic_links (tenant_id, visitor_id, token_hash, code_hash, secret_id, return_to, request_id, created_at, sent_at, expires_at, used_at)
    values (${h.gharart.id}::uuid, ${visitorId}::uuid, ${crypto.randomUUID()}, 'x', 's', '/', 'req_link',
            ${input.createdAt ?? input.expiresAt}, ${input.expiresAt}, ${input.expiresAt}, ${input.usedAt ?? null})
    returning id`);
  return row!.id;
}

describe('the janitor keeps each table for its retention, and not longer', () => {
  it('request log, audit events, security events (counted from the last replay)', async () => {
    const log = edges(days().requestLog);
    for (const [id, at] of [
      ['req_inside', log.inside],
      ['req_past', log.past],
    ] as const) {
      await h.db.many(sql`
        insert into request_log (request_id, method, path, status, duration_ms, created_at) values (${id}, 'GET', '/', 200, 1, ${at})`);
    }
    const audit = edges(days().auditEvents);
    const auditIds: string[] = [];
    for (const at of [audit.inside, audit.past]) {
      const row = await h.db.one<{ id: string }>(sql`
        insert into audit_events (tenant_id, kind, actor, created_at) values (${h.gharart.id}::uuid, 'grant_set', 'system', ${at}) returning id`);
      auditIds.push(row!.id);
    }
    const security = edges(days().securityEvents);
    const securityIds: string[] = [];
    for (const [created, lastSeen] of [
      [security.inside, null],
      [security.past, null],
      [security.past, security.inside], // a replay seen again lately is kept
    ] as const) {
      const row = await h.db.one<{ id: string }>(sql`
        insert into security_events (tenant_id, kind, created_at, last_seen_at)
        values (${h.gharart.id}::uuid, 'code_burned', ${created}, ${lastSeen}) returning id`);
      securityIds.push(row!.id);
    }

    await h.runtime.janitor.sweep();
    expect(await left('request_log', ['req_inside', 'req_past'])).toEqual(['req_inside']);
    expect(await left('audit_events', auditIds)).toEqual([auditIds[0]!]);
    expect(await left('security_events', securityIds)).toEqual([securityIds[0]!, securityIds[2]!].sort());
  });

  it('mail: sent and failed rows past their window go, queued ones stay whatever their age', async () => {
    const mail = edges(days().mail);
    const ids: string[] = [];
    for (const [status, sentAt, failedAt] of [
      ['sent', mail.inside, null],
      ['sent', mail.past, null],
      ['failed', null, mail.past],
      ['pending', null, null],
    ] as const) {
      const row = await h.db.one<{ id: string }>(sql`
        insert into mail_outbox (tenant_id, kind, to_address, message_id, request_id, status, next_attempt_at, created_at, sent_at, failed_at)
        values (${h.gharart.id}::uuid, 'magic_link', 'kept@example.com', ${crypto.randomUUID()}, 'req_mail', ${status},
                ${ago(400 * DAY)}, ${ago(400 * DAY)}, ${sentAt}, ${failedAt})
        returning id`);
      ids.push(row!.id);
    }
    await h.runtime.janitor.sweep();
    expect(await left('mail_outbox', ids)).toEqual([ids[0]!, ids[3]!].sort());
  });

  it('sessions: revoked or expired past the window go; a used link stays as long as its session may', async () => {
    const window = edges(days().sessions);
    const live = await session({ expiresAt: ago(-DAY) });
    const revokedInside = await session({ expiresAt: ago(-DAY), revokedAt: window.inside });
    const revokedPast = await session({ expiresAt: ago(-DAY), revokedAt: window.past });
    const expiredInside = await session({ expiresAt: window.inside });
    const expiredPast = await session({ expiresAt: window.past });

    const links = edges(days().magicLinks);
    const unusedInside = await link({ expiresAt: links.inside });
    const unusedPast = await link({ expiresAt: links.past });
    const neverSent = await link({ expiresAt: null, createdAt: links.past });
    // A used link is kept SESSION_MAX_AGE + RETENTION_SESSIONS_DAYS after its use: by then its session is gone too.
    const used = edges(h.deps.config.sessionMaxAgeSeconds / DAY + days().sessions);
    const usedInside = await link({ expiresAt: used.inside, usedAt: used.inside });
    const usedPast = await link({ expiresAt: used.past, usedAt: used.past });
    const usedLately = await link({ expiresAt: links.past, usedAt: links.past });

    await h.runtime.janitor.sweep();
    expect(await left('sessions', [live, revokedInside, revokedPast, expiredInside, expiredPast])).toEqual(
      [live, revokedInside, expiredInside].sort(),
    );
    expect(await left('magic_links', [unusedInside, unusedPast, neverSent, usedInside, usedPast, usedLately])).toEqual(
      [unusedInside, usedInside, usedLately].sort(),
    );
  });

  it('pending sign-ins, passkey challenges, handoffs, webhook deliveries, console sessions, idempotency keys', async () => {
    const pending = edges(days().pendingSignIns);
    const pendingIds = [crypto.randomUUID(), crypto.randomUUID()];
    for (const [i, at] of [pending.inside, pending.past].entries()) {
      await h.db.many(sql`
        insert into pending_sign_ins (id, tenant_id, id_hash, number, choices, request_id, created_at, expires_at)
        values (${pendingIds[i]}::uuid, ${h.gharart.id}::uuid, ${crypto.randomUUID()}, 42, ${[42, 17, 88]}::smallint[], 'req_p', ${at}, ${at})`);
    }
    const challenge = edges(days().passkeyChallenges);
    const challengeIds = [crypto.randomUUID(), crypto.randomUUID()];
    for (const [i, at] of [challenge.inside, challenge.past].entries()) {
      await h.db.many(sql`
        insert into passkey_challenges (id, tenant_id, rp_id, purpose, challenge_hash, created_at, expires_at)
        values (${challengeIds[i]}::uuid, ${h.gharart.id}::uuid, 'localhost', 'authentication', ${crypto.randomUUID()}, ${at}, ${at})`);
    }
    const handoff = edges(days().handoffs);
    const handoffIds = [crypto.randomUUID(), crypto.randomUUID()];
    for (const [i, at] of [handoff.inside, handoff.past].entries()) {
      await h.db.many(sql`
        insert into handoffs (id, tenant_id, visitor_id, order_id, token_hash, return_to, request_id, created_at, expires_at)
        values (${handoffIds[i]}::uuid, ${h.gharart.id}::uuid, ${visitorId}::uuid, 'A-1', ${crypto.randomUUID()}, '/', 'req_h', ${at}, ${at})`);
    }
    const delivery = edges(days().webhookDeliveries);
    const deliveryIds: string[] = [];
    for (const [status, deliveredAt, deadAt] of [
      ['delivered', delivery.inside, null],
      ['delivered', delivery.past, null],
      ['dead', null, delivery.past],
      ['pending', null, null],
    ] as const) {
      const row = await h.db.one<{ id: string }>(sql`
        insert into webhook_deliveries (tenant_id, endpoint_id, type, data, status, next_attempt_at, created_at, delivered_at, dead_at)
        values (${h.gharart.id}::uuid, ${endpointId}::uuid, 'grant.changed', '{}'::jsonb, ${status}, ${ago(400 * DAY)}, ${ago(400 * DAY)},
                ${deliveredAt}, ${deadAt})
        returning id`);
      deliveryIds.push(row!.id);
    }
    // A console session ends at the latest when idle for CONSOLE_IDLE_TIMEOUT: its window starts then.
    const { operator } = await upsertOperator(h.db, { email: 'old-admin@ops.test', role: 'admin', tenantIds: [], now: h.clock.now() });
    const idle = h.deps.config.consoleIdleSeconds;
    const consoleWindow = edges(days().consoleSessions);
    const consoleIds: string[] = [];
    for (const ended of [consoleWindow.inside, consoleWindow.past]) {
      const id = await session({ expiresAt: ago(-DAY) });
      await h.db.many(sql`
        insert into console_sessions (session_id, operator_id, csrf_token, created_at, last_active_at)
        values (${id}::uuid, ${operator.id}::uuid, 'csrf', ${ended}, ${new Date(ended.getTime() - idle * 1000)})`);
      consoleIds.push(id);
    }
    const keys = ['kept', 'expired'];
    for (const [i, expires] of [ago(-MINUTE), ago(MINUTE)].entries()) {
      await h.db.many(sql`
        insert into idempotency_keys (scope, key, fingerprint, status, created_at, expires_at)
        values ('retention-test', ${keys[i]}, 'f', 'done', ${ago(DAY)}, ${expires})`);
    }

    // Erasure codes live 15 minutes and are of no use afterwards: they go at expiry.
    const codeHolders: string[] = [];
    for (const [i, expires] of [ago(-MINUTE), ago(MINUTE)].entries()) {
      const holder = await h.db.one<{ id: string }>(sql`
        insert into visitors (tenant_id, email, created_at) values (${h.gharart.id}::uuid, ${`erasing-${i}@example.com`}, ${ago(DAY)}) returning id`);
      await h.db.many(sql`
        insert into erasure_codes (visitor_id, tenant_id, session_id, code_hash, secret_id, request_id, created_at, expires_at)
        values (${holder!.id}::uuid, ${h.gharart.id}::uuid, ${crypto.randomUUID()}::uuid, 'h', 's', 'req_e', ${ago(DAY)}, ${expires})`);
      codeHolders.push(holder!.id);
    }

    const removed = await h.runtime.janitor.sweepTables();
    const codesLeft = await h.db.many<{ id: string }>(
      sql`select visitor_id::text as id from erasure_codes where visitor_id = any(${codeHolders}::uuid[])`,
    );
    expect(codesLeft.map((r) => r.id)).toEqual([codeHolders[0]!]);
    expect(await left('pending_sign_ins', pendingIds)).toEqual([pendingIds[0]!]);
    expect(await left('passkey_challenges', challengeIds)).toEqual([challengeIds[0]!]);
    expect(await left('handoffs', handoffIds)).toEqual([handoffIds[0]!]);
    expect(await left('webhook_deliveries', deliveryIds)).toEqual([deliveryIds[0]!, deliveryIds[3]!].sort());
    expect(await left('console_sessions', consoleIds)).toEqual([consoleIds[0]!]);
    const stillKeyed = await h.db.many<{ key: string }>(sql`select key from idempotency_keys where scope = 'retention-test'`);
    expect(stillKeyed.map((r) => r.key)).toEqual(['kept']);
    expect(Object.fromEntries([...removed].filter(([, n]) => n > 0))).toMatchObject({
      pending_sign_ins: 1,
      passkey_challenges: 1,
      handoffs: 1,
      webhook_deliveries: 2,
      console_sessions: 1,
      idempotency_keys: 1,
      erasure_codes: 1,
    });
    // Counted per table for GET /metrics.
    const metrics = await h.deps.metrics.exposition();
    expect(metrics).toContain('va_janitor_rows_deleted_total{table="webhook_deliveries"} 2');
  });
});

describe('bounded batches', () => {
  it('deletes at most batchSize rows per statement and maxBatches per sweep; a backlog goes over several sweeps', async () => {
    const old = ago(days().requestLog * DAY + DAY);
    await h.db.many(sql`
      insert into request_log (request_id, method, path, status, duration_ms, created_at)
      select 'req_backlog_' || n, 'GET', '/', 200, 1, ${old} from generate_series(1, 23) as n`);
    const janitor = new Janitor(h.deps, { batchSize: 5, maxBatches: 2 });
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) counts.push((await janitor.sweepTables()).get('request_log')!);
    expect(counts).toEqual([10, 10, 3, 0]);
    const [rest] = await h.db.many<{ n: number }>(sql`select count(*)::int as n from request_log where request_id like 'req_backlog_%'`);
    expect(rest!.n).toBe(0);
  });

  it('every batch finds its rows through an index on the time they ended, never by scanning the table', async () => {
    // Each delete statement the janitor sends is explained instead of run, with sequential scans
    // priced out of reach: a plan that still scans a table has no index to use (sql/0024).
    const plans: string[] = [];
    const explaining: Db = {
      ...h.db,
      transaction: (work) =>
        h.db.transaction(async (tx) => {
          await tx.many(sql`set local enable_seqscan = off`);
          return work({
            ...tx,
            many: async <Row>(query: Query) => {
              if (!/\bdelete\s+from\b/i.test(query.text)) return tx.many<Row>(query);
              const rows = await tx.many<{ 'QUERY PLAN': string }>(new Query(`explain ${query.text}`, query.values));
              plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
              return [];
            },
          });
        }),
    };
    await new Janitor({ ...h.deps, db: explaining }).sweep();
    // In the janitor's order; each names the index made for it (another index scanned whole is no better).
    const indexes = [
      'rate_limit_counters_expires_idx',
      'idempotency_keys_expires_idx',
      'erasure_codes_expires_idx',
      'passkey_challenges_expires_idx',
      'pending_sign_ins_expires_idx',
      'handoffs_expires_idx',
      'console_sessions_active_idx',
      'sessions_ended_idx',
      'magic_links_unused_ended_idx',
      'magic_links_used_idx',
      'mail_outbox_finished_idx',
      'webhook_deliveries_finished_idx',
      'security_events_seen_idx',
      'request_log_created_idx',
      'audit_events_created_idx',
    ];
    expect(plans).toHaveLength(indexes.length);
    plans.forEach((plan, i) => {
      expect(plan).toContain('Tid Scan');
      expect(plan).toContain(indexes[i]!);
      expect(plan).not.toContain('Seq Scan');
    });
  });

  it.skipIf(!usingPostgres)('one instance at a time: while another holds the janitor’s lock, a sweep deletes nothing', async () => {
    const old = ago(days().requestLog * DAY + DAY);
    await h.db.many(sql`
      insert into request_log (request_id, method, path, status, duration_ms, created_at)
      select 'req_locked_' || n, 'GET', '/', 200, 1, ${old} from generate_series(1, 3) as n`);
    const other = openPostgres(h.databaseUrl!, { max: 1 });
    try {
      const whileHeld = await other.transaction(async (tx) => {
        await tx.many(sql`select pg_advisory_xact_lock(7203114552::bigint)`);
        return h.runtime.janitor.sweep();
      });
      expect(whileHeld).toBe(0);
      const [held] = await h.db.many<{ n: number }>(sql`select count(*)::int as n from request_log where request_id like 'req_locked_%'`);
      expect(held!.n).toBe(3);
      expect(await h.runtime.janitor.sweep()).toBeGreaterThanOrEqual(3);
      const [after] = await h.db.many<{ n: number }>(sql`select count(*)::int as n from request_log where request_id like 'req_locked_%'`);
      expect(after!.n).toBe(0);
    } finally {
      await other.close();
    }
  });
});

describe('the console’s story of a shopper', () => {
  let consoleIp = 50;
  /** The console's shopper page, read by an admin signed in afresh (console sessions last hours, the clock moves days). */
  async function shopperPage(email: string): Promise<string> {
    const admin = await new ConsoleClient(h, 'story-admin@ops.test', `192.0.2.${consoleIp++}`).signIn();
    return (await admin.get(`/console/tenants/gharart/shopper?email=${encodeURIComponent(email)}`)).text();
  }

  it('a kept session still shows the link it came from and who asked for it; the link outlives it, the audit rows both', async () => {
    await upsertOperator(h.db, { email: 'story-admin@ops.test', role: 'admin', tenantIds: [], now: h.clock.now() });
    const email = 'story@example.com';
    const { jar } = await h.signIn(email);
    expect((await h.json('/v2/visitor/auth/logout', {}, { jar, headers: { origin: 'http://localhost' } })).status).toBe(204);
    const requestId = (await h.db.one<{ request_id: string }>(sql`
      select l.request_id from magic_links l join visitors v on v.id = l.visitor_id where v.email = ${email}`))!.request_id;

    // Just inside the sessions' window after the logout: the session, its link (expired long ago) and who asked.
    h.clock.advance(days().sessions * DAY - MINUTE);
    await h.runtime.janitor.sweep();
    let page = await shopperPage(email);
    expect(page).toContain('id="session-');
    expect(page).toContain(requestId);
    expect(page).toMatch(/Requested by<\/dt><dd>the shopper/);

    // Past it: the session goes; the link stays, with who asked for it.
    h.clock.advance(2 * MINUTE);
    await h.runtime.janitor.sweep();
    page = await shopperPage(email);
    expect(page).not.toContain('id="session-');
    expect(page).toContain(requestId);
    expect(page).toMatch(/Requested by<\/dt><dd>the shopper/);

    // The longest a session of that sign-in could have been kept (SESSION_MAX_AGE + its window): the link goes.
    h.clock.advance(h.deps.config.sessionMaxAgeSeconds);
    await h.runtime.janitor.sweep();
    page = await shopperPage(email);
    expect(page).not.toContain(requestId);
    // The audit trail of that sign-in outlives both (RETENTION_AUDIT_DAYS ≥ what the console needs).
    const [audit] = await h.db.many<{ n: number }>(sql`select count(*)::int as n from audit_events where request_id = ${requestId}`);
    expect(audit!.n).toBeGreaterThan(0);
  });

  it('RETENTION_AUDIT_DAYS may not be shorter than the sessions and links the console shows', () => {
    const base = { NODE_ENV: 'test' };
    expect(loadConfig(base).retentionDays).toMatchObject({ requestLog: 30, auditEvents: 365, sessions: 90, magicLinks: 30 });
    expect(() => loadConfig({ ...base, RETENTION_AUDIT_DAYS: '180' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, RETENTION_AUDIT_DAYS: '181' })).not.toThrow();
    expect(() => loadConfig({ ...base, RETENTION_MAGIC_LINKS_DAYS: '365' })).toThrow('RETENTION_AUDIT_DAYS');
    expect(() => loadConfig({ ...base, RETENTION_REQUEST_LOG_DAYS: '0' })).toThrow('RETENTION_REQUEST_LOG_DAYS');
  });
});
