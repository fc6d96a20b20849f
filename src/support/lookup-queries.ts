// The SQL behind the operator's request-id lookup. Only columns an operator may see: never a token
// hash, a mail payload or a recipient address. Every query takes the caller's tenant scope and
// filters in SQL (not afterwards: another tenant's rows could otherwise crowd out the limits).
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { SECURITY_EVENT_COLUMNS, type SecurityEventRow } from '../audit/security-events.ts';

/**
 * The tenants a caller may see: a list of tenant ids, or null for every tenant (admins, service
 * PATs). With a list, rows of no tenant are hidden too.
 */
export type TenantScope = readonly string[] | null;

/** `tenant_id` (of the given alias) within the scope; one statement text for both cases. */
function inScope(scope: TenantScope, column = sql`tenant_id`) {
  const ids = scope ? [...scope] : null;
  return sql`(${ids}::uuid[] is null or ${column} = any(${ids}::uuid[]))`;
}

export type RequestLogRow = {
  request_id: string;
  method: string;
  path: string;
  status: number;
  code: string | null;
  tenant_id: string | null;
  visitor_id: string | null;
  session_id: string | null;
  ip: string | null;
  user_agent: string | null;
  duration_ms: number;
  created_at: Date;
};

const REQUEST_COLUMNS = sql`request_id, method, path, status, code, tenant_id, visitor_id, session_id, ip, user_agent, duration_ms, created_at`;

export async function findLoggedRequest(db: Db, requestId: string, scope: TenantScope): Promise<RequestLogRow | undefined> {
  return db.one<RequestLogRow>(sql`select ${REQUEST_COLUMNS} from request_log where request_id = ${requestId} and ${inScope(scope)}`);
}

/** Other requests of the same visitor or session in the window, oldest first. */
export async function findNearbyRequests(
  db: Db,
  input: { requestId: string; visitorId: string | null; sessionId: string | null; from: Date; to: Date },
  scope: TenantScope,
): Promise<RequestLogRow[]> {
  if (!input.visitorId && !input.sessionId) return [];
  return db.many<RequestLogRow>(sql`
    select ${REQUEST_COLUMNS}
    from request_log
    where request_id <> ${input.requestId}
      and created_at between ${input.from} and ${input.to}
      and (visitor_id = ${input.visitorId}::uuid or session_id = ${input.sessionId}::uuid)
      and ${inScope(scope)}
    order by created_at
    limit 200`);
}

export type AuditEventRow = {
  kind: string;
  actor: string;
  tenant_id: string | null;
  visitor_id: string | null;
  session_id: string | null;
  detail: Record<string, unknown>;
  created_at: Date;
};

export async function findAuditEvents(db: Db, requestId: string, scope: TenantScope): Promise<AuditEventRow[]> {
  return db.many<AuditEventRow>(sql`
    select kind, actor, tenant_id, visitor_id, session_id, detail, created_at
    from audit_events
    where request_id = ${requestId} and ${inScope(scope)}
    order by created_at`);
}

export type MailRow = {
  id: string;
  tenant_id: string;
  visitor_id: string | null;
  kind: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  next_attempt_at: Date;
  sent_at: Date | null;
  failed_at: Date | null;
};

export async function findMail(db: Db, requestId: string, scope: TenantScope): Promise<MailRow[]> {
  return db.many<MailRow>(sql`
    select o.id, o.tenant_id, l.visitor_id, o.kind, o.status, o.attempts, o.last_error, o.created_at, o.next_attempt_at,
           o.sent_at, o.failed_at
    from mail_outbox o
    left join magic_links l on l.id = o.magic_link_id
    where o.request_id = ${requestId} and ${inScope(scope, sql`o.tenant_id`)}
    order by o.created_at`);
}

export async function findRequestSecurityEvents(db: Db, requestId: string, scope: TenantScope): Promise<SecurityEventRow[]> {
  return db.many<SecurityEventRow>(
    sql`select ${SECURITY_EVENT_COLUMNS} from security_events where request_id = ${requestId} and ${inScope(scope)} order by created_at`,
  );
}

export async function findVisitorSecurityEvents(
  db: Db,
  input: { visitorId: string; from: Date; to: Date },
  scope: TenantScope,
): Promise<SecurityEventRow[]> {
  return db.many<SecurityEventRow>(sql`
    select ${SECURITY_EVENT_COLUMNS}
    from security_events
    where visitor_id = ${input.visitorId}::uuid and created_at between ${input.from} and ${input.to} and ${inScope(scope)}
    order by created_at
    limit 200`);
}

export type SupportReportRow = {
  id: string;
  tenant_id: string;
  visitor_id: string | null;
  session_id: string | null;
  request_id: string;
  cited_request_id: string | null;
  summary: string;
  details: string;
  repro_artifact: string | null;
  status: string;
  created_at: Date;
};

/** Reports citing this request id, or filed by it. */
export async function findReports(db: Db, requestId: string, scope: TenantScope): Promise<SupportReportRow[]> {
  return db.many<SupportReportRow>(sql`
    select id, tenant_id, visitor_id, session_id, request_id, cited_request_id, summary, details, repro_artifact, status, created_at
    from support_reports
    where (cited_request_id = ${requestId} or request_id = ${requestId}) and ${inScope(scope)}
    order by created_at
    limit 50`);
}

export type EscalationRow = {
  id: string;
  tenant_id: string | null;
  report_id: string | null;
  request_id: string;
  cited_request_id: string | null;
  summary: string;
  severity: string;
  filed_by_pat_id: string | null;
  created_at: Date;
};

/** Escalations citing this request id, filed by it, or about one of these reports. */
export async function findEscalations(db: Db, requestId: string, reportIds: string[], scope: TenantScope): Promise<EscalationRow[]> {
  return db.many<EscalationRow>(sql`
    select id, tenant_id, report_id, request_id, cited_request_id, summary, severity, filed_by_pat_id, created_at
    from escalations
    where (cited_request_id = ${requestId} or request_id = ${requestId} or report_id = any(${reportIds}::uuid[])) and ${inScope(scope)}
    order by created_at
    limit 50`);
}

export type ContentReportRow = {
  id: string;
  tenant_id: string;
  request_id: string;
  url: string;
  reason: string;
  details: string | null;
  status: string;
  created_at: Date;
};

export async function findContentReports(db: Db, requestId: string, scope: TenantScope): Promise<ContentReportRow[]> {
  return db.many<ContentReportRow>(sql`
    select id, tenant_id, request_id, url, reason, details, status, created_at
    from content_reports
    where request_id = ${requestId} and ${inScope(scope)}
    order by created_at`);
}

export async function findVisitor(db: Db, visitorId: string, scope: TenantScope): Promise<{ id: string; email: string } | undefined> {
  return db.one<{ id: string; email: string }>(sql`select id, email from visitors where id = ${visitorId}::uuid and ${inScope(scope)}`);
}
