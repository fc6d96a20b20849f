// Security events: what an operator should look at (a used link presented again, a code burned, a
// mail limit reached). Every statement that writes `security_events`; the one row type.
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';

export type SecurityEventRow = {
  id: string;
  tenant_id: string;
  visitor_id: string | null;
  kind: string;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown>;
  created_at: Date;
};

/** The columns of SecurityEventRow, for every reader (support lookups, the console). */
export const SECURITY_EVENT_COLUMNS = sql`id, tenant_id, visitor_id, kind, request_id, ip, user_agent, detail, created_at`;

/**
 * A used link presented again: one security event per link, whatever the number of replays — the
 * count goes up and the last-seen time, IP, user agent and request id are the latest (a partial
 * unique index on the link id), so replays cannot grow the table.
 */
export async function recordLinkReplay(
  db: Db,
  event: {
    tenantId: string;
    visitorId: string;
    linkId: string;
    usedAt: Date;
    requestId: string;
    ip: string;
    userAgent: string | null;
    now: Date;
  },
): Promise<void> {
  await db.many(sql`
    insert into security_events (tenant_id, visitor_id, kind, request_id, ip, user_agent, detail, created_at)
    values (${event.tenantId}, ${event.visitorId}, 'used_link_replayed', ${event.requestId}, ${event.ip}, ${event.userAgent},
            ${{ linkId: event.linkId, usedAt: event.usedAt.toISOString() }}, ${event.now})
    on conflict ((detail->>'linkId')) where kind = 'used_link_replayed'
    do update set occurrences = security_events.occurrences + 1, last_seen_at = excluded.created_at,
                  request_id = excluded.request_id, ip = excluded.ip, user_agent = excluded.user_agent`);
}

export async function recordSecurityEvent(
  db: Db,
  event: {
    tenantId: string;
    visitorId: string | null;
    kind: string;
    requestId: string;
    ip: string;
    userAgent: string | null;
    detail: Record<string, unknown>;
    now: Date;
  },
): Promise<void> {
  await db.many(sql`
    insert into security_events (tenant_id, visitor_id, kind, request_id, ip, user_agent, detail, created_at)
    values (${event.tenantId}, ${event.visitorId}, ${event.kind}, ${event.requestId}, ${event.ip}, ${event.userAgent},
            ${event.detail}, ${event.now})`);
}

/** A visitor's security events, newest first (the console's shopper page). */
export async function listVisitorSecurityEvents(db: Db, visitorId: string, limit = 25): Promise<SecurityEventRow[]> {
  return db.many<SecurityEventRow>(sql`
    select ${SECURITY_EVENT_COLUMNS}
    from security_events
    where visitor_id = ${visitorId}::uuid
    order by created_at desc
    limit ${limit}`);
}

/**
 * Retention: deletes up to `limit` security events last seen before `before` (a replayed link's
 * event counts from its latest replay); returns how many (the janitor repeats).
 */
export async function deleteSecurityEventsBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from security_events where ctid = any(array(
      select ctid from security_events where coalesce(last_seen_at, created_at) < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}
