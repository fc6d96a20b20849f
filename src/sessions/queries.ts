// Every SQL statement of the sessions feature.
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';

export type SessionRow = {
  id: string;
  tenant_id: string;
  visitor_id: string;
  email: string;
  handle: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
};

/** One indexed lookup by token hash; revoked or expired sessions do not exist for callers. */
export async function findLiveSessionByTokenHash(db: Db, tokenHash: string, now: Date): Promise<SessionRow | undefined> {
  return db.one<SessionRow>(sql`
    select s.id, s.tenant_id, s.visitor_id, v.email, t.handle, s.created_at, s.last_seen_at, s.expires_at
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

export async function revokeSession(db: Db, sessionId: string, now: Date): Promise<void> {
  await db.many(sql`update sessions set revoked_at = ${now} where id = ${sessionId}::uuid and revoked_at is null`);
}

export async function revokeVisitorSessions(db: Db, visitorId: string, now: Date): Promise<number> {
  const rows = await db.many(sql`
    update sessions set revoked_at = ${now}
    where visitor_id = ${visitorId}::uuid and revoked_at is null
    returning id`);
  return rows.length;
}

export type SessionListRow = { id: string; created_at: Date; last_seen_at: Date; user_agent: string | null };

/** The visitor's live sessions, newest first. */
export async function listLiveSessions(db: Db, visitorId: string, now: Date): Promise<SessionListRow[]> {
  return db.many<SessionListRow>(sql`
    select id, created_at, last_seen_at, user_agent
    from sessions
    where visitor_id = ${visitorId}::uuid and revoked_at is null and expires_at > ${now}
    order by created_at desc`);
}

/** Revokes one of the visitor's own sessions; false when it is not theirs (or not live). */
export async function revokeOwnSession(db: Db, visitorId: string, sessionId: string, now: Date): Promise<boolean> {
  // The uuid's shape, not just its alphabet: 36 dashes would reach the ::uuid cast (a 500).
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sessionId)) return false;
  const rows = await db.many(sql`
    update sessions set revoked_at = ${now}
    where id = ${sessionId}::uuid and visitor_id = ${visitorId}::uuid and revoked_at is null
    returning id`);
  return rows.length === 1;
}
