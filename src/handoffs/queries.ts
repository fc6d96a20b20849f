// Every SQL statement that writes `handoffs` (and the reads of the handoffs feature). The create
// and consume statements are composed of the owners' parts (visitors/, sessions/, audit/,
// webhooks/): one round trip each.
import { auditInsert } from '../audit/audit.ts';
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { type NewSessionRow, orderSessionInsert, orderSessionRoom } from '../sessions/sessions.ts';
import { visitorUpsert } from '../visitors/visitors.ts';
import { webhookEventInsert } from '../webhooks/events.ts';

/** One row of `handoffs` with its visitor's address (the token hash never leaves this module). */
export type HandoffRow = {
  id: string;
  tenant_id: string;
  visitor_id: string;
  email: string;
  order_id: string;
  return_to: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  used_by_session_id: string | null;
  revoked_at: Date | null;
};

const COLUMNS = sql`h.id, h.tenant_id, h.visitor_id, v.email, h.order_id, h.return_to, h.created_at, h.expires_at, h.used_at,
  h.used_by_session_id, h.revoked_at`;

export type NewHandoff = {
  id: string;
  tenantId: string;
  email: string;
  orderId: string;
  tokenHash: string;
  returnTo: string;
  expiresAt: Date;
  requestId: string;
  /** Who created it, for the audit trail: `pat:<id>` or `jwt:<key id>`. */
  actor: string;
  now: Date;
};

/** Visitor upsert, handoff and audit row in one statement. */
export async function insertHandoff(db: Db, handoff: NewHandoff): Promise<{ visitorId: string }> {
  const row = await db.one<{ visitor_id: string }>(sql`
    with ${visitorUpsert({ tenantId: handoff.tenantId, email: handoff.email, now: handoff.now })},
    handoff as (
      insert into handoffs (id, tenant_id, visitor_id, order_id, token_hash, return_to, request_id, created_at, expires_at)
      select ${handoff.id}::uuid, ${handoff.tenantId}::uuid, visitor.id, ${handoff.orderId}, ${handoff.tokenHash}, ${handoff.returnTo},
             ${handoff.requestId}, ${handoff.now}, ${handoff.expiresAt}
      from visitor
      returning id, visitor_id
    )
    ${auditInsert(sql`
    select ${handoff.tenantId}::uuid, handoff.visitor_id, null::uuid, ${handoff.requestId}, 'handoff_created', ${handoff.actor}::text,
           jsonb_build_object('handoffId', handoff.id, 'orderId', ${handoff.orderId}::text, 'expiresAt', ${handoff.expiresAt}::timestamptz),
           ${handoff.now}
    from handoff`)}
    returning (select visitor_id from handoff) as visitor_id`);
  return { visitorId: row!.visitor_id };
}

export async function findHandoffByTokenHash(db: Db, tokenHash: string): Promise<HandoffRow | undefined> {
  return db.one<HandoffRow>(sql`
    select ${COLUMNS} from handoffs h join visitors v on v.id = h.visitor_id where h.token_hash = ${tokenHash}`);
}

export async function findHandoffById(db: Db, id: string): Promise<HandoffRow | undefined> {
  return db.one<HandoffRow>(sql`
    select ${COLUMNS} from handoffs h join visitors v on v.id = h.visitor_id where h.id = ${id}::uuid`);
}

/** The visitor's handoffs, newest first (the console's shopper page). */
export async function listVisitorHandoffs(db: Db, visitorId: string, limit = 25): Promise<HandoffRow[]> {
  return db.many<HandoffRow>(sql`
    select ${COLUMNS} from handoffs h join visitors v on v.id = h.visitor_id
    where h.visitor_id = ${visitorId}::uuid order by h.created_at desc limit ${limit}`);
}

export type ConsumedHandoff = { session_id: string; visitor_id: string; return_to: string; expires_at: Date };

/**
 * Single use, decided by one statement: the handoff is marked used only if it is still unused,
 * unrevoked, unexpired and its order has room for another order-scoped session; the session,
 * the audit row and the `visitor.signed_in` webhook (method `handoff`) come from the same row.
 * The cap is exact under concurrency: opens of one order's handoffs queue on a transaction-scoped
 * advisory lock keyed by tenant and order, so each counts the sessions the one before it committed
 * (a row lock would not do: the racing opens are of different handoffs, and the sessions they
 * count do not exist yet).
 */
export async function consumeHandoffIntoSession(db: Db, handoffId: string, session: NewSessionRow): Promise<ConsumedHandoff | undefined> {
  return db.transaction(async (tx) => {
    await tx.many(sql`
      select pg_advisory_xact_lock(hashtextextended('handoff-order:' || tenant_id::text || ':' || order_id, 0))
      from handoffs where id = ${handoffId}::uuid`);
    return consumeLocked(tx, handoffId, session);
  });
}

function consumeLocked(db: Db, handoffId: string, session: NewSessionRow): Promise<ConsumedHandoff | undefined> {
  return db.one<ConsumedHandoff>(sql`
    with used as (
      update handoffs
      set used_at = ${session.now}, used_by_session_id = ${session.sessionId}::uuid
      where id = ${handoffId}::uuid and used_at is null and revoked_at is null and expires_at > ${session.now}
        and ${orderSessionRoom(sql`handoffs.tenant_id`, sql`handoffs.order_id`, session.now)}
      returning id, tenant_id, visitor_id, order_id, return_to
    ),
    created as (
      ${orderSessionInsert(sql`
      select ${session.sessionId}::uuid, used.tenant_id, used.visitor_id, ${session.tokenHash}, null::uuid, ${session.now}::timestamptz,
             ${session.now}::timestamptz, ${session.expiresAt}::timestamptz, ${session.userAgent}::text, ${session.ip}::text, used.order_id
      from used`)}
      returning id, visitor_id, expires_at
    ),
    audit as (${auditInsert(sql`
      select used.tenant_id, used.visitor_id, ${session.sessionId}::uuid, ${session.requestId}, 'handoff_consumed', 'visitor',
             jsonb_build_object('handoffId', used.id, 'orderId', used.order_id), ${session.now}
      from used`)}),
    webhook as (${webhookEventInsert(sql`
      select used.tenant_id, 'visitor.signed_in',
             jsonb_build_object('visitorId', used.visitor_id, 'sessionId', ${session.sessionId}::uuid, 'method', 'handoff',
                                'scope', 'order', 'orderId', used.order_id, 'requestId', ${session.requestId}::text),
             (select email from visitors where id = used.visitor_id), ${session.requestId}, ${session.now}
      from used`)})
    select created.id as session_id, created.visitor_id, used.return_to, created.expires_at
    from created join used on true`);
}

/**
 * The browser already holds a full session of the same address: the handoff is spent on it (it
 * would only narrow what the browser sees). False when it was no longer usable.
 */
export async function useHandoffByHeldSession(db: Db, handoffId: string, sessionId: string, now: Date): Promise<boolean> {
  const row = await db.one<{ id: string }>(sql`
    update handoffs set used_at = ${now}, used_by_session_id = ${sessionId}::uuid
    where id = ${handoffId}::uuid and used_at is null and revoked_at is null and expires_at > ${now}
    returning id`);
  return row !== undefined;
}

/** A refund: the order's unused handoffs stop working. Returns how many. */
export async function revokeOrderHandoffs(db: Db, tenantId: string, orderId: string, now: Date): Promise<number> {
  const rows = await db.many(sql`
    update handoffs set revoked_at = ${now}
    where tenant_id = ${tenantId}::uuid and order_id = ${orderId} and used_at is null and revoked_at is null
    returning id`);
  return rows.length;
}

/** Retention: deletes up to `limit` handoffs that expired before `before` (used or not); returns how many. */
export async function deleteExpiredHandoffsBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from handoffs where ctid = any(array(
      select ctid from handoffs where expires_at < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}

/** A merge of two visitors (visitors/addresses.ts): the absorbed one's handoffs become the survivor's. */
export async function moveHandoffs(db: Db, from: string, into: string): Promise<void> {
  await db.many(sql`update handoffs set visitor_id = ${into}::uuid where visitor_id = ${from}::uuid`);
}
