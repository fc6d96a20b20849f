// Every SQL statement that writes `sessions` (and the reads of the sessions feature). Other
// features call these functions; a composite statement takes `sessionInsert` as its part.
import type { Db } from '../db/db.ts';
import { sql, type Query } from '../db/sql.ts';
import { webhookEventInsert } from '../webhooks/events.ts';

/** One row of `sessions` as features see it (the token hash never leaves this module). */
export type SessionRecord = {
  id: string;
  tenant_id: string;
  visitor_id: string;
  magic_link_id: string | null;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  user_agent: string | null;
  ip: string | null;
  /** `full`: the address was proven (link or code); `order`: opened from a checkout handoff, sees one order. */
  scope: SessionScope;
  /** The order an order-scoped session sees (null for a full session). */
  order_id: string | null;
};

export type SessionScope = 'full' | 'order';

/** Most live order-scoped sessions per order; another needs the step-up (a full sign-in). */
export const ORDER_SESSION_CAP = 5;

/** A live session with whose it is (the cookie/bearer check). */
export type SessionRow = Pick<
  SessionRecord,
  'id' | 'tenant_id' | 'visitor_id' | 'created_at' | 'last_seen_at' | 'expires_at' | 'scope' | 'order_id'
> & {
  email: string;
  handle: string;
};

/** One round trip on the sign-in hot path: the caller's `select` yields the columns below, in order (usually from a CTE). */
export function sessionInsert(select: Query): Query {
  return sql`insert into sessions (id, tenant_id, visitor_id, token_hash, magic_link_id, created_at, last_seen_at, expires_at, user_agent, ip) ${select}`;
}

/**
 * An order-scoped session, for a composite statement: the caller's `select` yields the columns of
 * `sessionInsert` followed by order_id. Full sessions keep using `sessionInsert` (scope's default).
 */
export function orderSessionInsert(select: Query): Query {
  return sql`insert into sessions (id, tenant_id, visitor_id, token_hash, magic_link_id, created_at, last_seen_at, expires_at, user_agent, ip, order_id, scope)
    select s.*, 'order' from (${select})
      as s(id, tenant_id, visitor_id, token_hash, magic_link_id, created_at, last_seen_at, expires_at, user_agent, ip, order_id)`;
}

/** A condition for a composite statement: the order has room for one more live order-scoped session. */
export function orderSessionRoom(tenantId: Query, orderId: Query, now: Date): Query {
  return sql`(select count(*) from sessions os
     where os.tenant_id = ${tenantId} and os.order_id = ${orderId} and os.revoked_at is null and os.expires_at > ${now}) < ${ORDER_SESSION_CAP}`;
}

/** One indexed lookup by token hash; revoked or expired sessions do not exist for callers. */
export async function findLiveSessionByTokenHash(db: Db, tokenHash: string, now: Date): Promise<SessionRow | undefined> {
  return db.one<SessionRow>(sql`
    select s.id, s.tenant_id, s.visitor_id, v.email, t.handle, s.created_at, s.last_seen_at, s.expires_at, s.scope, s.order_id
    from sessions s
    join visitors v on v.id = s.visitor_id
    join tenants t on t.id = s.tenant_id
    where s.token_hash = ${tokenHash} and s.revoked_at is null and s.expires_at > ${now}`);
}

/** The sliding expiry, written at most once an hour per session (never on the edge hot path). */
export async function slideSession(db: Db, sessionId: string, now: Date, expiresAt: Date, slideAfter: Date): Promise<Date | null> {
  const row = await db.one<{ expires_at: Date }>(sql`
    update sessions
    set last_seen_at = ${now}, expires_at = ${expiresAt}
    where id = ${sessionId}::uuid and last_seen_at < ${slideAfter} and revoked_at is null
    returning expires_at`);
  return row?.expires_at ?? null;
}

/**
 * A revocation in one statement: the sessions `where` picks that are still live are revoked, and
 * each gets its `session.revoked` webhook. `requestId`: the request that revoked them, if any.
 */
function revoke(where: Query, now: Date, requestId: string | null): Query {
  return sql`
    with revoked as (
      update sessions set revoked_at = ${now}
      where ${where} and revoked_at is null
      returning id, tenant_id, visitor_id
    ),
    webhook as (${webhookEventInsert(sql`
      select revoked.tenant_id, 'session.revoked',
             jsonb_build_object('sessionId', revoked.id, 'visitorId', revoked.visitor_id, 'requestId', ${requestId}::text),
             (select email from visitors where id = revoked.visitor_id), ${requestId}::text, ${now}::timestamptz
      from revoked`)})
    select id from revoked`;
}

/** Revokes one session; false when it was already revoked (or does not exist). */
export async function revokeSession(db: Db, sessionId: string, now: Date, requestId: string | null = null): Promise<boolean> {
  const rows = await db.many(revoke(sql`id = ${sessionId}::uuid`, now, requestId));
  return rows.length === 1;
}

/** Revokes these sessions (those still live); returns how many it ended. */
export async function revokeSessions(db: Db, sessionIds: readonly string[], now: Date, requestId: string | null = null): Promise<number> {
  if (sessionIds.length === 0) return 0;
  const rows = await db.many(revoke(sql`id = any(${[...sessionIds]}::uuid[])`, now, requestId));
  return rows.length;
}

/** Ends every live order-scoped session of an order (a refund or chargeback); returns how many. */
export async function revokeOrderSessions(
  db: Db,
  tenantId: string,
  orderId: string,
  now: Date,
  requestId: string | null = null,
): Promise<number> {
  const rows = await db.many(revoke(sql`tenant_id = ${tenantId}::uuid and order_id = ${orderId}`, now, requestId));
  return rows.length;
}

export async function revokeVisitorSessions(db: Db, visitorId: string, now: Date, requestId: string | null = null): Promise<number> {
  const rows = await db.many(revoke(sql`visitor_id = ${visitorId}::uuid`, now, requestId));
  return rows.length;
}

export type SessionListRow = Pick<SessionRecord, 'id' | 'created_at' | 'last_seen_at' | 'user_agent' | 'scope' | 'order_id'>;

/** The visitor's live sessions, newest first. */
export async function listLiveSessions(db: Db, visitorId: string, now: Date): Promise<SessionListRow[]> {
  return db.many<SessionListRow>(sql`
    select id, created_at, last_seen_at, user_agent, scope, order_id
    from sessions
    where visitor_id = ${visitorId}::uuid and revoked_at is null and expires_at > ${now}
    order by created_at desc`);
}

/** Revokes one of the visitor's own sessions; false when it is not theirs (or not live). */
export async function revokeOwnSession(
  db: Db,
  visitorId: string,
  sessionId: string,
  now: Date,
  requestId: string | null = null,
): Promise<boolean> {
  // The uuid's shape, not just its alphabet: 36 dashes would reach the ::uuid cast (a 500).
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sessionId)) return false;
  const rows = await db.many(revoke(sql`id = ${sessionId}::uuid and visitor_id = ${visitorId}::uuid`, now, requestId));
  return rows.length === 1;
}

export type SessionViewRow = Omit<SessionRecord, 'tenant_id' | 'visitor_id'>;

/** Every session of a visitor, live or not, newest first (the console's shopper page). */
export async function listVisitorSessions(db: Db, visitorId: string, limit = 25): Promise<SessionViewRow[]> {
  return db.many<SessionViewRow>(sql`
    select id, created_at, last_seen_at, expires_at, revoked_at, user_agent, ip, magic_link_id, scope, order_id
    from sessions
    where visitor_id = ${visitorId}::uuid
    order by created_at desc
    limit ${limit}`);
}

/** Whose a session is (undefined: no such session). */
export async function findSessionOwner(
  db: Db,
  sessionId: string,
): Promise<{ tenant_id: string; visitor_id: string; email: string; revoked_at: Date | null } | undefined> {
  return db.one(sql`
    select s.tenant_id, s.visitor_id, v.email, s.revoked_at
    from sessions s join visitors v on v.id = s.visitor_id
    where s.id = ${sessionId}::uuid`);
}

/**
 * Retention: deletes up to `limit` sessions that ended (revoked or expired) before `before`;
 * returns how many. A console session's row goes with it (on delete cascade).
 */
export async function deleteEndedSessionsBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from sessions where ctid = any(array(
      select ctid from sessions where least(revoked_at, expires_at) < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}

/** A merge of two visitors (visitors/addresses.ts): the absorbed one's sessions become the survivor's. */
export async function moveVisitorSessions(db: Db, from: string, into: string): Promise<void> {
  await db.many(sql`update sessions set visitor_id = ${into}::uuid where visitor_id = ${from}::uuid`);
}
