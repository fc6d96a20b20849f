// Every SQL statement of the console's shopper view and of the operator's audit entries: the
// shopper's sign-in links with their mail, sessions and security events — never a token hash, a
// code hash or a mail payload.
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';

export type VisitorRow = { id: string; email: string; created_at: Date };

export async function findVisitor(db: Db, tenantId: string, email: string): Promise<VisitorRow | undefined> {
  return db.one<VisitorRow>(sql`select id, email, created_at from visitors where tenant_id = ${tenantId}::uuid and email = ${email}`);
}

export type LinkViewRow = {
  id: string;
  request_id: string;
  return_to: string;
  created_at: Date;
  sent_at: Date | null;
  expires_at: Date | null;
  used_at: Date | null;
  used_by_session_id: string | null;
  code_attempts: number;
  code_burned_at: Date | null;
  mail_status: 'pending' | 'sending' | 'sent' | 'failed' | null;
  mail_attempts: number | null;
  mail_last_error: string | null;
  mail_next_attempt_at: Date | null;
  mail_failed_at: Date | null;
  requested_by: string | null;
};

/** The shopper's sign-in links, newest first, each with its mail and who asked for it. */
export async function listShopperLinks(db: Db, visitorId: string, limit = 25): Promise<LinkViewRow[]> {
  return db.many<LinkViewRow>(sql`
    select l.id, l.request_id, l.return_to, l.created_at, l.sent_at, l.expires_at, l.used_at, l.used_by_session_id,
           l.code_attempts, l.code_burned_at,
           o.status as mail_status, o.attempts as mail_attempts, o.last_error as mail_last_error,
           o.next_attempt_at as mail_next_attempt_at, o.failed_at as mail_failed_at,
           (select a.actor from audit_events a
            where a.request_id = l.request_id and a.kind = 'sign_in_requested' and a.visitor_id = l.visitor_id
            limit 1) as requested_by
    from magic_links l
    left join mail_outbox o on o.magic_link_id = l.id
    where l.visitor_id = ${visitorId}::uuid
    order by l.seq desc
    limit ${limit}`);
}

export type SessionViewRow = {
  id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  user_agent: string | null;
  ip: string | null;
  magic_link_id: string | null;
};

export async function listShopperSessions(db: Db, visitorId: string, limit = 25): Promise<SessionViewRow[]> {
  return db.many<SessionViewRow>(sql`
    select id, created_at, last_seen_at, expires_at, revoked_at, user_agent, ip, magic_link_id
    from sessions
    where visitor_id = ${visitorId}::uuid
    order by created_at desc
    limit ${limit}`);
}

export type SecurityEventRow = {
  kind: string;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown>;
  created_at: Date;
};

export async function listShopperSecurityEvents(db: Db, visitorId: string, limit = 25): Promise<SecurityEventRow[]> {
  return db.many<SecurityEventRow>(sql`
    select kind, request_id, ip, user_agent, detail, created_at
    from security_events
    where visitor_id = ${visitorId}::uuid
    order by created_at desc
    limit ${limit}`);
}

/** Whose a session is (undefined: no such session). */
export async function findSessionOwner(db: Db, sessionId: string): Promise<{ tenant_id: string; visitor_id: string; email: string; revoked_at: Date | null } | undefined> {
  return db.one(sql`
    select s.tenant_id, s.visitor_id, v.email, s.revoked_at
    from sessions s join visitors v on v.id = s.visitor_id
    where s.id = ${sessionId}::uuid`);
}

/** Revokes one session; false when it was already revoked. */
export async function revokeSessionById(db: Db, sessionId: string, now: Date): Promise<boolean> {
  const rows = await db.many(sql`update sessions set revoked_at = ${now} where id = ${sessionId}::uuid and revoked_at is null returning id`);
  return rows.length === 1;
}

// --- the operator's audit entries ---------------------------------------------------------------

/**
 * Console actions join the audit trail under the action's request id with actor `operator:<id>`.
 * The kinds the visitor side already uses keep their meaning (session_revoked, grant_set, …).
 */
export type OperatorAuditKind =
  | 'console_signed_in'
  | 'console_signed_out'
  | 'sign_in_mail_suppressed'
  | 'session_revoked'
  | 'sessions_revoked_all'
  | 'grant_set'
  | 'grant_removed'
  | 'report_handled';

export async function recordOperatorAudit(
  db: Db,
  event: { kind: OperatorAuditKind; operatorId: string; requestId: string; tenantId: string | null; visitorId?: string | null; sessionId?: string | null; detail?: Record<string, unknown>; now: Date },
): Promise<void> {
  await db.many(sql`
    insert into audit_events (tenant_id, visitor_id, session_id, request_id, kind, actor, detail, created_at)
    values (${event.tenantId}, ${event.visitorId ?? null}, ${event.sessionId ?? null}, ${event.requestId}, ${event.kind},
            ${`operator:${event.operatorId}`}, ${event.detail ?? {}}, ${event.now})`);
}

export type ActionAuditRow = { kind: string; detail: Record<string, unknown>; created_at: Date };

/** What this operator did in one request (the banner after an action); nothing for anyone else's. */
export async function findOperatorActions(db: Db, operatorId: string, requestId: string): Promise<ActionAuditRow[]> {
  return db.many<ActionAuditRow>(sql`
    select kind, detail, created_at
    from audit_events
    where request_id = ${requestId} and actor = ${`operator:${operatorId}`}
    order by created_at`);
}
