// Sign-in requests of one event-loop turn share their statements (group commit, #19 §4): one
// limiter statement and one write statement for all of them, every guarantee kept — each request
// gets its own link and mail, limits stay exact, the same answer for known and unknown addresses,
// and a request whose row fails answers alone while its neighbours are served.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from '../src/db/sql.ts';
import { setOverride } from '../src/limits/policies.ts';
import { MAX_LINK_BATCH } from '../src/magic-link/request-batch.ts';
import type { Tenant } from '../src/tenants/tenants.ts';
import { holdTenantRow, usingPostgres } from './support/database.ts';
import { Harness } from './support/harness.ts';
import { insertTestTenant } from './support/tenants.ts';

let h: Harness;
let small: Tenant;

beforeAll(async () => {
  h = await Harness.start();
  small = await insertTestTenant(h.db, 'small');
  await setOverride(h.db, small.id, 'magic-link:per-tenant', 7);
});
afterAll(() => h.close());

let ipCounter = 0;
const freshIp = () => `198.51.100.${++ipCounter}`;

function requestLink(email: string, init: { ip?: string; host?: string; form?: boolean } = {}) {
  const { form, ...rest } = init;
  if (form) return h.form('/v2/visitor/auth/magic-link', { email }, { ip: freshIp(), ...rest });
  return h.json('/v2/visitor/auth/magic-link', { email }, { ip: freshIp(), ...rest });
}

/** Starts a fresh minute window (and a fresh per-email window): a burst cannot straddle two. */
function freshWindow() {
  h.clock.advance(900 - ((h.clock.now().getTime() / 1000) % 900));
}

async function countRows(query: ReturnType<typeof sql>): Promise<number> {
  return (await h.db.one<{ n: number }>(query))!.n;
}

async function settle() {
  // The first request warms the tenant directory and the policy cache, which are read once.
  expect((await requestLink('warm-up@example.com')).status).toBe(202);
  await h.deliver();
  await h.deps.requestLog.flush();
}

describe('sign-in requests of one turn', () => {
  it('share one limiter statement and one write statement, each with its own link, pending sign-in and mail', async () => {
    freshWindow();
    await settle();
    // A known address beside unknown ones, and one address asked for twice in the same turn.
    await h.requestLink('known@example.com');
    await h.deps.requestLog.flush();
    const emails = [
      'known@example.com',
      'twice@example.com',
      'twice@example.com',
      ...Array.from({ length: 17 }, (_, i) => `new${i}@example.com`),
    ];
    const before = h.counter.queries;
    const responses = await Promise.all(emails.map((email) => requestLink(email)));
    expect(h.counter.queries - before).toBe(2);
    expect(responses.map((r) => r.status)).toEqual(emails.map(() => 202));
    // The same answer's shape for every address, known or not.
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { status: string; pending: { number: number } }[];
    expect(new Set(bodies.map((b) => Object.keys(b).sort().join()))).toEqual(new Set(['pending,requestId,status']));
    const requestIds = responses.map((r) => r.headers.get('x-request-id')!);
    expect(await countRows(sql`select count(*)::int as n from magic_links where request_id = any(${requestIds}::text[])`)).toBe(
      emails.length,
    );
    expect(
      await countRows(
        sql`select count(*)::int as n from audit_events where kind = 'sign_in_requested' and request_id = any(${requestIds}::text[])`,
      ),
    ).toBe(emails.length);
    expect(
      await countRows(
        sql`select count(*)::int as n from pending_sign_ins p join magic_links l on l.id = p.link_id
            where p.request_id = any(${requestIds}::text[]) and l.request_id = p.request_id`,
      ),
    ).toBe(emails.length);
    expect(await countRows(sql`select count(*)::int as n from visitors where email = 'twice@example.com'`)).toBe(1);
    // Every mail goes out once, to its own address, with its own link.
    const sentBefore = h.mail.messages.length;
    await h.deliver();
    const sent = h.mail.messages.slice(sentBefore);
    expect(sent.map((m) => m.to).sort()).toEqual([...emails].sort());
    expect(new Set(sent.map((m) => m.link)).size).toBe(emails.length);
    // Each browser's pending number is its own link's.
    const numbers = await h.db.many<{ request_id: string; number: number }>(
      sql`select request_id, number from pending_sign_ins where request_id = any(${requestIds}::text[])`,
    );
    const byRequest = new Map(numbers.map((n) => [n.request_id, n.number]));
    expect(requestIds.map((id) => byRequest.get(id))).toEqual(bodies.map((b) => b.pending.number));
  });

  it(`splits more than ${MAX_LINK_BATCH} requests of one turn into statements of at most ${MAX_LINK_BATCH}`, async () => {
    freshWindow();
    await settle();
    const before = h.counter.queries;
    const responses = await Promise.all(Array.from({ length: MAX_LINK_BATCH + 6 }, (_, i) => requestLink(`many${i}@example.com`)));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 202));
    expect(h.counter.queries - before).toBe(4); // two limiter statements, two write statements
    await h.deliver();
  });

  it.skipIf(!usingPostgres)('writes the links that arrive while the write statement runs in one next statement, not one each', async () => {
    freshWindow();
    await settle();
    // Another transaction holds the storefront's row: the first write statement waits for it
    // (each row's foreign key locks the row), as it would behind a slow commit.
    const release = await holdTenantRow(h.db, h.gharart.id);
    const first = requestLink('held-first@example.com');
    // Four more, each in a turn of its own, while the first one's statement waits.
    const later: ReturnType<typeof requestLink>[] = [];
    for (let i = 0; i < 4; i++) {
      await Bun.sleep(20);
      later.push(requestLink(`held-later${i}@example.com`));
    }
    await Bun.sleep(300); // time to count and seal them: they now wait for the write
    await release();
    const responses = await Promise.all([first, ...later]);
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    const requestIds = responses.slice(1).map((r) => r.headers.get('x-request-id')!);
    // Rows one statement wrote share its transaction id (xmin): each turn's statement of its own made four.
    const writes = await countRows(
      sql`select count(distinct xmin::text)::int as n from magic_links where request_id = any(${requestIds}::text[])`,
    );
    expect(writes).toBeLessThanOrEqual(2);
    await h.deliver();
    for (let i = 0; i < 4; i++) expect(h.mail.to(`held-later${i}@example.com`)).toHaveLength(1);
  });

  it('lets exactly the quota through when a burst in one turn is past it, counted per request', async () => {
    freshWindow();
    await settle();
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => requestLink(`quota${i}@example.com`, { host: 'small.test' })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(7);
    expect(statuses.filter((s) => s === 429)).toHaveLength(13);
    // Each admitted request saw its own count: the remaining quotas are 6…0, once each.
    const remaining = responses
      .filter((r) => r.status === 202)
      .map((r) => Number(/"per-tenant";r=(\d+)/.exec(r.headers.get('ratelimit')!)![1]))
      .sort();
    expect(remaining).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await h.deliver();
  });

  it('sends exactly the per-email quota of mails when one address is asked for many times in one turn', async () => {
    freshWindow();
    await settle();
    const responses = await Promise.all(Array.from({ length: 9 }, () => requestLink('flood@example.com')));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 202));
    await h.deliver();
    expect(h.mail.to('flood@example.com')).toHaveLength(5);
    const suppressed = await countRows(
      sql`select count(*)::int as n from security_events where kind = 'sign_in_mail_limit_reached'
          and request_id = any(${responses.map((r) => r.headers.get('x-request-id')!)}::text[])`,
    );
    expect(suppressed).toBe(4);
  });

  it('answers a request whose row the database refuses alone: its neighbours in the turn get their links', async () => {
    freshWindow();
    await settle();
    // A real refusal by the database, for one address only (a constraint of this test's database).
    await h.db.many(sql`alter table mail_outbox add constraint test_refuses_one check (to_address <> 'refused@example.com')`);
    try {
      const emails = ['ok1@example.com', 'refused@example.com', 'ok2@example.com', 'ok3@example.com'];
      const before = h.counter.queries;
      const responses = await Promise.all(emails.map((email) => requestLink(email)));
      // The limiter's statement, the batch that failed, then each request's own.
      expect(h.counter.queries - before).toBe(2 + emails.length);
      expect(responses.map((r) => r.status)).toEqual([202, 500, 202, 202]);
      await h.deliver();
      for (const email of ['ok1@example.com', 'ok2@example.com', 'ok3@example.com']) expect(h.mail.to(email)).toHaveLength(1);
      expect(h.mail.to('refused@example.com')).toHaveLength(0);
      expect(await countRows(sql`select count(*)::int as n from visitors where email = 'refused@example.com'`)).toBe(0);
      // Operators learn that a batch fell back, by its error code (never an address).
      const warning = h.logs.find((line) => line.includes('batched sign-in statement failed'));
      expect(warning).toContain('"code":"23514"');
      expect(warning).not.toContain('refused@example.com');
    } finally {
      await h.db.many(sql`alter table mail_outbox drop constraint test_refuses_one`);
    }
  });

  it('answers a request whose counter the database refuses alone: its neighbours are counted and served', async () => {
    freshWindow();
    await settle();
    await h.db.many(
      sql`alter table rate_limit_counters add constraint test_refuses_one check (key not like 'magic-link:per-email|%|uncountable@example.com|%')`,
    );
    try {
      const emails = ['counted1@example.com', 'uncountable@example.com', 'counted2@example.com'];
      const responses = await Promise.all(emails.map((email) => requestLink(email)));
      expect(responses.map((r) => r.status)).toEqual([202, 500, 202]);
      expect(responses[0]!.headers.get('ratelimit')).toMatch(/"per-ip";r=29;/);
      await h.deliver();
      expect(h.mail.to('counted1@example.com')).toHaveLength(1);
      expect(h.mail.to('counted2@example.com')).toHaveLength(1);
    } finally {
      await h.db.many(sql`alter table rate_limit_counters drop constraint test_refuses_one`);
    }
  });
});
