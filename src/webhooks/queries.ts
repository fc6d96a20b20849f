// Every SQL statement of the webhooks feature but the event insert (events.ts): endpoints, the
// delivery outbox's claim and outcomes, the dead letters, the "opened without confirm" sweep.
// This folder owns `webhook_endpoints` and `webhook_deliveries`.
import { addSeconds } from '../clock.ts';
import type { Db } from '../db/db.ts';
import { sql, type Query } from '../db/sql.ts';
import { SUBSCRIBED } from './events.ts';

export type EndpointRow = {
  id: string;
  tenant_id: string;
  url: string;
  events: string[];
  description: string | null;
  include_email: boolean;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
};

const ENDPOINT_COLUMNS = sql`id, tenant_id, url, array_to_json(events) as events, description, include_email, secret_sealed,
  previous_secret_sealed, previous_secret_expires_at, created_at`;

export async function insertEndpoint(
  db: Db,
  row: Pick<EndpointRow, 'id' | 'tenant_id' | 'url' | 'events' | 'description' | 'include_email' | 'secret_sealed' | 'created_at'>,
): Promise<EndpointRow> {
  return (await db.one<EndpointRow>(sql`
    insert into webhook_endpoints (id, tenant_id, url, events, description, include_email, secret_sealed, created_at)
    values (${row.id}::uuid, ${row.tenant_id}::uuid, ${row.url}, ${row.events}::text[], ${row.description}, ${row.include_email},
            ${row.secret_sealed}, ${row.created_at})
    returning ${ENDPOINT_COLUMNS}`))!;
}

export function listEndpoints(db: Db, tenantId: string): Promise<EndpointRow[]> {
  return db.many<EndpointRow>(
    sql`select ${ENDPOINT_COLUMNS} from webhook_endpoints where tenant_id = ${tenantId}::uuid order by created_at, id`,
  );
}

export function findEndpoint(db: Db, tenantId: string, id: string): Promise<EndpointRow | undefined> {
  return db.one<EndpointRow>(
    sql`select ${ENDPOINT_COLUMNS} from webhook_endpoints where id = ${id}::uuid and tenant_id = ${tenantId}::uuid`,
  );
}

/** Removes the endpoint and its deliveries (cascade); false when the tenant has no such endpoint. */
export async function deleteEndpoint(db: Db, tenantId: string, id: string): Promise<boolean> {
  const rows = await db.many(sql`delete from webhook_endpoints where id = ${id}::uuid and tenant_id = ${tenantId}::uuid returning id`);
  return rows.length === 1;
}

/** The new secret signs from now on; the current one keeps signing until `overlapEnds`. */
export async function rotateEndpointSecret(
  db: Db,
  tenantId: string,
  id: string,
  secretSealed: string,
  overlapEnds: Date,
): Promise<EndpointRow | undefined> {
  return db.one<EndpointRow>(sql`
    update webhook_endpoints
    set previous_secret_sealed = secret_sealed, previous_secret_expires_at = ${overlapEnds}, secret_sealed = ${secretSealed}
    where id = ${id}::uuid and tenant_id = ${tenantId}::uuid
    returning ${ENDPOINT_COLUMNS}`);
}

export type ClaimedDelivery = {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  type: string;
  data: Record<string, unknown>;
  email: string | null;
  request_id: string | null;
  attempts: number;
  created_at: Date;
  /** Since when the attempt was due (a first attempt: when the event happened). */
  due_at: Date;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
};

/** Not yet delivered nor dead (the partial index `webhook_deliveries_due_idx`), and no lease running. */
function dueAt(now: Date): Query {
  return sql`delivered_at is null and dead_at is null and next_attempt_at <= ${now} and (lease_until is null or lease_until <= ${now})`;
}

/**
 * Claims due deliveries: at most `perEndpoint` per endpoint counting those this worker already has
 * in flight (`busy`), and a lease: a claimed row is due again at its end (`lease_until`), so a
 * crashed worker's delivery is retried (at least once). The claim sets only columns no index
 * reads, so it is a HOT update (sql/0027): no index entry, the new version on the same page.
 * Candidates are picked without locks and only the chosen rows are locked (`for update skip
 * locked`, several workers may run; the condition is checked again on the locked row): locking the
 * whole candidate window, 4× the limit, wrote a row lock per row on every claim, and with a backlog
 * that cost sign-in a tenth of its throughput.
 */
export function claimDeliveries(
  db: Db,
  now: Date,
  options: {
    limit: number;
    perEndpoint: number;
    leaseSeconds: number;
    busy: ReadonlyMap<string, number>;
    /** Successes recorded by the same statement (markDelivered's), so a claim and a group of successes cost one round trip. */
    delivered?: readonly DeliveredOutcome[];
  },
): Promise<ClaimedDelivery[]> {
  const busyIds = [...options.busy.keys()];
  const busyCounts = [...options.busy.values()];
  const delivered = options.delivered ?? [];
  const deliveredIds = delivered.map((o) => o.id);
  return db.many<ClaimedDelivery>(sql`
    with ${delivered.length ? sql`recorded as (${markDeliveredStatement(delivered, now)}),` : sql``}
    due as (
      select id, endpoint_id, next_attempt_at
      from webhook_deliveries
      where ${dueAt(now)} and id <> all(${deliveredIds}::uuid[])
      order by next_attempt_at
      limit ${options.limit * 4}
    ),
    busy as (
      select * from unnest(${busyIds}::uuid[], ${busyCounts}::int[]) as b(endpoint_id, n)
    ),
    ranked as (
      select due.id, row_number() over (partition by due.endpoint_id order by due.next_attempt_at) + coalesce(busy.n, 0) as slot,
             due.next_attempt_at
      from due left join busy on busy.endpoint_id = due.endpoint_id
    ),
    chosen as (
      select id from ranked where slot <= ${options.perEndpoint} order by next_attempt_at limit ${options.limit}
    ),
    locked as (
      -- the same condition, written so that it matches no partial index: with stale statistics the
      -- planner otherwise walked the whole due index instead of looking the chosen ids up
      select id from webhook_deliveries
      where id in (select id from chosen) and coalesce(delivered_at, dead_at) is null and next_attempt_at <= ${now}
        and coalesce(lease_until, ${now}) <= ${now}
      for update skip locked
    )
    update webhook_deliveries d
    set status = 'sending', attempts = d.attempts + 1, lease_until = ${addSeconds(now, options.leaseSeconds)}
    from locked, webhook_endpoints e
    where d.id = locked.id and e.id = d.endpoint_id
    returning d.id, d.tenant_id, d.endpoint_id, d.type, d.data, d.email, d.request_id, d.attempts, d.created_at,
              d.next_attempt_at as due_at, e.url, e.secret_sealed, e.previous_secret_sealed, e.previous_secret_expires_at`);
}

export type DeliveredOutcome = { id: string; status: number };

/** Several deliveries' success in one statement (the worker groups those that finish together). */
export async function markDelivered(db: Db, outcomes: readonly DeliveredOutcome[], now: Date): Promise<void> {
  await db.many(markDeliveredStatement(outcomes, now));
}

function markDeliveredStatement(outcomes: readonly DeliveredOutcome[], now: Date): Query {
  return sql`
    update webhook_deliveries d
    set status = 'delivered', delivered_at = ${now}, last_status = o.status, last_error = null, email = null
    from unnest(${outcomes.map((o) => o.id)}::uuid[], ${outcomes.map((o) => o.status)}::int[]) as o(id, status)
    where d.id = o.id and d.id = any(${outcomes.map((o) => o.id)}::uuid[]) and d.status = 'sending'`;
}

export async function markRetry(db: Db, id: string, outcome: { status: number | null; error: string; retryAt: Date }): Promise<void> {
  await db.many(sql`
    update webhook_deliveries
    set status = 'pending', next_attempt_at = ${outcome.retryAt}, lease_until = null, last_status = ${outcome.status}, last_error = ${outcome.error}
    where id = ${id}::uuid and status = 'sending'`);
}

export async function markDead(db: Db, id: string, outcome: { status: number | null; error: string; now: Date }): Promise<void> {
  await db.many(sql`
    update webhook_deliveries
    set status = 'dead', dead_at = ${outcome.now}, last_status = ${outcome.status}, last_error = ${outcome.error}
    where id = ${id}::uuid and status = 'sending'`);
}

export type DeliveryRow = {
  id: string;
  tenant_id: string;
  handle: string;
  endpoint_id: string;
  url: string;
  type: string;
  status: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  request_id: string | null;
  created_at: Date;
  /** For a claimed ('sending') row, the end of its lease. */
  next_attempt_at: Date;
  delivered_at: Date | null;
  dead_at: Date | null;
};

/** Deliveries, newest first: every one, or only the dead; of one tenant or all. */
export function listDeliveries(db: Db, filter: { tenantId: string | null; deadOnly: boolean; limit: number }): Promise<DeliveryRow[]> {
  return listDeliveriesWhere(
    db,
    sql`(${filter.tenantId}::uuid is null or d.tenant_id = ${filter.tenantId}::uuid) and (not ${filter.deadOnly}::boolean or d.dead_at is not null)`,
    filter.limit,
  );
}

function listDeliveriesWhere(db: Db, where: Query, limit: number): Promise<DeliveryRow[]> {
  return db.many<DeliveryRow>(sql`
    select d.id, d.tenant_id, t.handle, d.endpoint_id, e.url, d.type, d.status, d.attempts, d.last_status, d.last_error,
           d.request_id, d.created_at, greatest(d.next_attempt_at, d.lease_until) as next_attempt_at, d.delivered_at, d.dead_at
    from webhook_deliveries d
    join webhook_endpoints e on e.id = d.endpoint_id
    join tenants t on t.id = d.tenant_id
    where ${where}
    order by d.created_at desc, d.id
    limit ${limit}`);
}

/** A dead (or delivered) delivery goes out again now, same `webhook-id`, attempts counted afresh. */
export async function resendDelivery(db: Db, id: string, now: Date): Promise<boolean> {
  const rows = await db.many(sql`
    update webhook_deliveries
    set status = 'pending', attempts = 0, next_attempt_at = ${now}, lease_until = null, created_at = ${now}, dead_at = null,
        delivered_at = null
    where id = ${id}::uuid and status in ('dead', 'delivered')
    returning id`);
  return rows.length === 1;
}

/**
 * Links opened (their GET page, audit `link_opened`) at least `graceSeconds` ago and not consumed
 * within that grace: the mail-scanner signal. One event per link and endpoint (the dedupe key), so
 * the sweep may run often and on several instances; it looks back `lookBackSeconds` only.
 */
export async function sweepOpenedWithoutConfirm(
  db: Db,
  now: Date,
  options: { graceSeconds: number; lookBackSeconds: number },
): Promise<number> {
  const rows = await db.many(sql`
    insert into webhook_deliveries (tenant_id, endpoint_id, type, data, email, request_id, dedupe_key, next_attempt_at, created_at)
    select ev.tenant_id, e.id, ev.type, ev.data, case when e.include_email then ev.email end, ev.request_id, ev.link_id, ${now}, ${now}
    from (
      select distinct on (l.id) a.tenant_id, 'magic_link.opened_without_confirm'::text as type,
             jsonb_build_object('linkId', l.id, 'visitorId', l.visitor_id, 'openedAt', a.created_at, 'requestId', a.request_id) as data,
             v.email, a.request_id, l.id::text as link_id
      from audit_events a
      join magic_links l on l.id = (a.detail->>'linkId')::uuid
      join visitors v on v.id = l.visitor_id
      where a.kind = 'link_opened'
        and a.created_at <= ${addSeconds(now, -options.graceSeconds)}
        and a.created_at > ${addSeconds(now, -options.graceSeconds - options.lookBackSeconds)}
        and (l.used_at is null or l.used_at > a.created_at + ${options.graceSeconds}::int * interval '1 second')
        and exists (select 1 from webhook_endpoints e where e.tenant_id = a.tenant_id)
      order by l.id, a.created_at
    ) as ev
    join webhook_endpoints e on ${SUBSCRIBED}
    on conflict (endpoint_id, type, dedupe_key) where dedupe_key is not null do nothing
    returning id`);
  return rows.length;
}

export type EndpointHealthRow = {
  endpoint_id: string;
  /** The newest delivery's status and outcome; null when the endpoint never had one. */
  last_status: string | null;
  last_http_status: number | null;
  last_error: string | null;
  last_at: Date | null;
  /** Dead deliveries, and undelivered ones whose last attempt failed. */
  failing: number;
};

/** Per endpoint of the tenant: how its newest delivery went and how many are failing now. */
export function endpointHealth(db: Db, tenantId: string): Promise<EndpointHealthRow[]> {
  return db.many<EndpointHealthRow>(sql`
    select e.id as endpoint_id, last.status as last_status, last.last_status as last_http_status, last.last_error,
           coalesce(last.delivered_at, last.dead_at, last.created_at) as last_at,
           (select count(*)::int from webhook_deliveries f
            where f.endpoint_id = e.id and (f.status = 'dead' or (f.status in ('pending', 'sending') and f.last_error is not null))) as failing
    from webhook_endpoints e
    left join lateral (
      select d.status, d.last_status, d.last_error, d.delivered_at, d.dead_at, d.created_at
      from webhook_deliveries d where d.endpoint_id = e.id order by d.created_at desc, d.id limit 1
    ) last on true
    where e.tenant_id = ${tenantId}::uuid`);
}

/** The tenant of an endpoint or a delivery, to tell another storefront's id from an unknown one. */
export async function webhookOwner(db: Db, what: 'endpoint' | 'delivery', id: string): Promise<string | undefined> {
  const row =
    what === 'endpoint'
      ? await db.one<{ tenant_id: string }>(sql`select tenant_id from webhook_endpoints where id = ${id}::uuid`)
      : await db.one<{ tenant_id: string }>(sql`select tenant_id from webhook_deliveries where id = ${id}::uuid`);
  return row?.tenant_id;
}

/** One delivery of the tenant, as the dead-letter list shows it. */
export async function findDelivery(db: Db, tenantId: string, id: string): Promise<DeliveryRow | undefined> {
  return (await listDeliveriesWhere(db, sql`d.id = ${id}::uuid and d.tenant_id = ${tenantId}::uuid`, 1))[0];
}

export type DeliveryState = { pending: number; sending: number; dead: number; oldestAgeSeconds: number };

/** For metrics: the unfinished deliveries (partial index `webhook_deliveries_due_idx`) and the dead ones (`…_dead_idx`). */
export async function deliveryState(db: Db, now: Date): Promise<DeliveryState> {
  const row = await db.one<{ pending: number; sending: number; dead: number; oldest: number }>(sql`
    select count(*) filter (where status = 'pending')::int as pending, count(*) filter (where status = 'sending')::int as sending,
           coalesce(extract(epoch from ${now}::timestamptz - min(created_at)), 0)::float8 as oldest,
           (select count(*)::int from webhook_deliveries where dead_at is not null) as dead
    from webhook_deliveries where delivered_at is null and dead_at is null`);
  return { pending: row?.pending ?? 0, sending: row?.sending ?? 0, dead: row?.dead ?? 0, oldestAgeSeconds: Math.max(0, row?.oldest ?? 0) };
}

/** Retention: deletes up to `limit` deliveries delivered or dead before `before` (pending ones stay); returns how many. */
export async function deleteFinishedDeliveriesBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from webhook_deliveries where ctid = any(array(
      select ctid from webhook_deliveries
      where (delivered_at is not null or dead_at is not null) and coalesce(delivered_at, dead_at) < ${before}
      limit ${limit}))
    returning 1`);
  return rows.length;
}
