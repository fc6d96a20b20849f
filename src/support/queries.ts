// Every SQL statement that files something: support reports, content reports, escalations.
// Free text arrives here already redacted (reports.ts).
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';

export type NewSupportReport = {
  tenantId: string;
  visitorId: string | null;
  sessionId: string | null;
  requestId: string;
  citedRequestId: string | null;
  citedSessionId: string | null;
  summary: string;
  details: string;
  reproArtifact: string | null;
  ip: string;
  userAgent: string | null;
  now: Date;
};

export async function insertSupportReport(db: Db, report: NewSupportReport): Promise<string> {
  const row = await db.one<{ id: string }>(sql`
    insert into support_reports (tenant_id, visitor_id, session_id, request_id, cited_request_id, cited_session_id,
                                 summary, details, repro_artifact, ip, user_agent, created_at)
    values (${report.tenantId}, ${report.visitorId}, ${report.sessionId}, ${report.requestId}, ${report.citedRequestId},
            ${report.citedSessionId}, ${report.summary}, ${report.details}, ${report.reproArtifact}, ${report.ip},
            ${report.userAgent}, ${report.now})
    returning id`);
  return row!.id;
}

export type NewContentReport = {
  tenantId: string;
  requestId: string;
  url: string;
  reason: string;
  details: string | null;
  reporterEmail: string | null;
  ip: string;
  userAgent: string | null;
  now: Date;
};

export async function insertContentReport(db: Db, report: NewContentReport): Promise<string> {
  const row = await db.one<{ id: string }>(sql`
    insert into content_reports (tenant_id, request_id, url, reason, details, reporter_email, ip, user_agent, created_at)
    values (${report.tenantId}, ${report.requestId}, ${report.url}, ${report.reason}, ${report.details},
            ${report.reporterEmail}, ${report.ip}, ${report.userAgent}, ${report.now})
    returning id`);
  return row!.id;
}

export type NewEscalation = {
  tenantId: string | null;
  reportId: string | null;
  requestId: string;
  citedRequestId: string | null;
  summary: string;
  severity: string;
  patId: string;
  now: Date;
};

export async function insertEscalation(db: Db, escalation: NewEscalation): Promise<string> {
  const row = await db.one<{ id: string }>(sql`
    insert into escalations (tenant_id, report_id, request_id, cited_request_id, summary, severity, filed_by_pat_id, created_at)
    values (${escalation.tenantId}, ${escalation.reportId}, ${escalation.requestId}, ${escalation.citedRequestId},
            ${escalation.summary}, ${escalation.severity}, ${escalation.patId}, ${escalation.now})
    returning id`);
  return row!.id;
}

/** The tenant a support report belongs to, or undefined when there is no such report. */
export async function findReportTenant(db: Db, reportId: string): Promise<{ tenantId: string } | undefined> {
  const row = await db.one<{ tenant_id: string }>(sql`select tenant_id from support_reports where id = ${reportId}::uuid`);
  return row ? { tenantId: row.tenant_id } : undefined;
}

/** The tenant a request was for, from whatever recorded it (the request log is written in batches). */
export async function findRequestTenant(db: Db, requestId: string): Promise<string | null> {
  const row = await db.one<{ tenant_id: string }>(sql`
    select tenant_id from (
      select tenant_id, 1 as rank from request_log where request_id = ${requestId} and tenant_id is not null
      union all
      select tenant_id, 2 from audit_events where request_id = ${requestId} and tenant_id is not null
      union all
      select tenant_id, 3 from mail_outbox where request_id = ${requestId}
      union all
      select tenant_id, 4 from security_events where request_id = ${requestId}
    ) known
    order by rank
    limit 1`);
  return row?.tenant_id ?? null;
}

export type Handling = { at: Date; by: string; note: string | null };

/** Marks an open report handled, by whom and with their note; undefined when it was already handled. */
export async function updateReportHandled(db: Db, reportId: string, handling: Handling): Promise<{ note: string | null } | undefined> {
  return db.one<{ note: string | null }>(sql`
    update support_reports set status = 'handled', handled_at = ${handling.at}, handled_by = ${handling.by}, handled_note = ${handling.note}
    where id = ${reportId}::uuid and status = 'open'
    returning handled_note as note`);
}
/** A merge of two visitors (visitors/addresses.ts): the absorbed one's support reports become the survivor's. */
export async function moveSupportReports(db: Db, from: string, into: string): Promise<void> {
  await db.many(sql`update support_reports set visitor_id = ${into}::uuid where visitor_id = ${from}::uuid`);
}
