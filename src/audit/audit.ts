// The audit trail: what happened to a shopper's sign-in, keyed by request id. Details never hold a
// token, code, cookie or secret — only ids, states and times.
import type { Db } from '../db/db.ts';
import { sql, type Query } from '../db/sql.ts';

export type AuditKind =
  | 'sign_in_requested'
  | 'sign_in_mail_suppressed'
  | 'mail_sent'
  | 'mail_retry_scheduled'
  | 'mail_failed'
  | 'mail_resent_after_crash'
  | 'link_opened'
  | 'link_consumed'
  | 'code_consumed'
  | 'link_replayed'
  | 'link_reissued'
  | 'code_burned'
  | 'session_revoked'
  | 'sessions_revoked_all'
  | 'report_filed'
  | 'escalation_filed'
  | 'content_report_filed'
  | 'grant_set'
  | 'grant_removed'
  | 'console_signed_in'
  | 'console_signed_out'
  | 'report_handled'
  | 'tenant_branding_set'
  | 'webhook_endpoint_added'
  | 'webhook_endpoint_removed'
  | 'webhook_secret_rotated'
  | 'webhook_delivery_resent'
  | 'pending_approved'
  | 'pending_signed_in'
  | 'number_mismatch'
  | 'handoff_created'
  | 'handoff_opened'
  | 'handoff_consumed'
  | 'order_revoked'
  | 'passkey_registered'
  | 'passkey_signed_in'
  | 'passkey_removed'
  | 'visitor_erased'
  | 'erasure_code_sent'
  | 'visitor_exported'
  | 'email_added'
  | 'email_verified'
  | 'email_removed'
  | 'visitors_merged'
  | 'primary_email_changed'
  | 'primary_email_reverted';

export type AuditEvent = {
  kind: AuditKind;
  actor: string;
  requestId: string | null;
  tenantId: string | null;
  visitorId?: string | null;
  sessionId?: string | null;
  detail?: Record<string, unknown>;
  at: Date;
};

/** The actor of an operator's entries: `operator:<id>` (the console, operator re-sends). */
export function operatorActor(operatorId: string): string {
  return `operator:${operatorId}`;
}

/** The one writer of single audit rows (visitor routes, the console, the outbox). */
export async function recordAudit(db: Db, event: AuditEvent): Promise<void> {
  await db.many(sql`
    insert into audit_events (tenant_id, visitor_id, session_id, request_id, kind, actor, detail, created_at)
    values (${event.tenantId}, ${event.visitorId ?? null}, ${event.sessionId ?? null}, ${event.requestId}, ${event.kind},
            ${event.actor}, ${event.detail ?? {}}, ${event.at})`);
}

/**
 * The audit trail's part of a composite statement (one round trip on a hot path): the caller's
 * `select` yields, per row, tenant_id, visitor_id, session_id, request_id, kind, actor, detail,
 * created_at — in that order — usually from a CTE of the same statement.
 */
export function auditInsert(select: Query): Query {
  return sql`insert into audit_events (tenant_id, visitor_id, session_id, request_id, kind, actor, detail, created_at) ${select}`;
}

export type AuditRow = {
  kind: string;
  actor: string;
  request_id: string | null;
  visitor_id: string | null;
  session_id: string | null;
  detail: Record<string, unknown>;
  created_at: Date;
};

export type ActorAuditRow = Pick<AuditRow, 'kind' | 'detail' | 'created_at'>;

/** What one actor did in one request (the console's banner after an operator's action). */
export async function auditOfActorInRequest(db: Db, actor: string, requestId: string): Promise<ActorAuditRow[]> {
  return db.many<ActorAuditRow>(sql`
    select kind, detail, created_at
    from audit_events
    where request_id = ${requestId} and actor = ${actor}
    order by created_at`);
}

/** Retention: deletes up to `limit` audit rows written before `before`; returns how many (the janitor repeats). */
export async function deleteAuditEventsBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from audit_events where ctid = any(array(
      select ctid from audit_events where created_at < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}

/** A merge of two visitors (visitors/addresses.ts): the absorbed one's audit rows, security events and request log entries become the survivor's. */
export async function moveVisitorRecords(db: Db, from: string, into: string): Promise<void> {
  await db.many(sql`update audit_events set visitor_id = ${into}::uuid where visitor_id = ${from}::uuid`);
  await db.many(sql`update security_events set visitor_id = ${into}::uuid where visitor_id = ${from}::uuid`);
  await db.many(sql`update request_log set visitor_id = ${into}::uuid where visitor_id = ${from}::uuid`);
}
