// Migration 0027 (the claim's lease in `lease_until`, indexes on delivered_at and dead_at instead of
// status) on a database holding deliveries in every state, one of them claimed by a running worker
// and one by a worker that died: each is where it was, as the worker, metrics, dead list and
// retention see it.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { Db } from '../src/db/db.ts';
import { listMigrations, migrate } from '../src/db/migrate.ts';
import { openPglite } from '../src/db/pglite.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { sql } from '../src/db/sql.ts';
import { claimDeliveries, deleteFinishedDeliveriesBefore, deliveryState, listDeliveries } from '../src/webhooks/queries.ts';
import { insertTenant } from '../src/tenants/tenants.ts';
import { emptyDatabase, usingPostgres } from './support/database.ts';

let db: Db;
let dropDatabase = async () => {};
const now = new Date('2026-12-06T12:00:00Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
const ids: Record<string, string> = {};

beforeAll(async () => {
  if (usingPostgres) {
    const empty = await emptyDatabase();
    db = openPostgres(empty.url);
    dropDatabase = empty.drop;
  } else {
    db = (await openPglite()).db;
  }
  await migrate(
    db,
    listMigrations().filter((m) => m.version < '0027'),
  );
  const tenant = await insertTenant(db, {
    handle: 'shop',
    name: 'shop',
    origins: ['https://shop.example'],
    hosts: ['shop.example'],
    gatedPrefixes: ['/content/'],
    mailFrom: null,
    magicLinkTtlSeconds: null,
    sessionTtlSeconds: null,
  });
  const endpoint = await db.one<{ id: string }>(sql`
    insert into webhook_endpoints (tenant_id, url, events, secret_sealed, created_at)
    values (${tenant.id}::uuid, 'https://hooks.example/in', '{*}', 'sealed', ${at(-3600)}) returning id`);
  const rows: [string, string, number, Date, Date | null, Date | null][] = [
    // name, status, attempts, next_attempt_at (a claimed row's lease end), delivered_at, dead_at
    ['pending', 'pending', 0, at(-1), null, null],
    ['leased', 'sending', 1, at(30), null, null],
    ['orphaned', 'sending', 1, at(-5), null, null],
    ['delivered', 'delivered', 1, at(-10 * 86_400), at(-10 * 86_400), null],
    ['dead', 'dead', 9, at(-10 * 86_400), null, at(-10 * 86_400)],
  ];
  for (const [name, status, attempts, next, delivered, dead] of rows) {
    const row = await db.one<{ id: string }>(sql`
      insert into webhook_deliveries (tenant_id, endpoint_id, type, data, status, attempts, next_attempt_at, created_at, delivered_at, dead_at)
      values (${tenant.id}::uuid, ${endpoint!.id}::uuid, 'grant.changed', '{}'::jsonb, ${status}, ${attempts}, ${next}, ${at(-86_400)},
              ${delivered}, ${dead})
      returning id`);
    ids[name] = row!.id;
  }
  expect(await migrate(db)).toContain('0027_webhook_deliveries_hot');
});
afterAll(async () => {
  await db.close();
  await dropDatabase();
});

const claim = (when: Date) => claimDeliveries(db, when, { limit: 10, perEndpoint: 10, leaseSeconds: 60, busy: new Map() });

describe('migration 0027 (webhook deliveries claimed as HOT updates)', () => {
  it('keeps every delivery where it was: due, leased, dead, finished', async () => {
    expect(await deliveryState(db, now)).toEqual({ pending: 1, sending: 2, dead: 1, oldestAgeSeconds: 86_400 });
    const dead = await listDeliveries(db, { tenantId: null, deadOnly: true, limit: 10 });
    expect(dead.map((d) => d.id)).toEqual([ids.dead!]);
    const all = await listDeliveries(db, { tenantId: null, deadOnly: false, limit: 10 });
    expect(all.find((d) => d.id === ids.leased)?.next_attempt_at).toEqual(at(30)); // its lease's end
  });

  it("claims the pending row and a dead worker's row now, a running worker's row once its lease ends", async () => {
    const first = await claim(now);
    expect(new Map(first.map((r) => [r.id, r.attempts]))).toEqual(
      new Map([
        [ids.pending!, 1],
        [ids.orphaned!, 2],
      ]),
    );
    expect(await claim(at(29))).toEqual([]);
    expect((await claim(at(31))).map((r) => [r.id, r.attempts])).toEqual([[ids.leased!, 2]]);
  });

  it('lets retention delete the delivered and dead rows, and only those', async () => {
    expect(await deleteFinishedDeliveriesBefore(db, at(-86_400), 10)).toBe(2);
    const left = await db.many<{ id: string }>(sql`select id from webhook_deliveries`);
    expect(new Set(left.map((r) => r.id))).toEqual(new Set([ids.pending!, ids.leased!, ids.orphaned!]));
  });
});
