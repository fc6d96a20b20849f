// Every SQL statement of the console's tenant views: which tenants an operator sees, each one's mail
// outbox health, and its support reports. Internal tenants (the console's own) are never listed.
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';

export type ConsoleTenant = {
  id: string;
  handle: string;
  name: string;
  publicOrigin: string;
  supportCanEditGrants: boolean;
};

type TenantRow = { id: string; handle: string; name: string; public_origin: string; support_can_edit_grants: boolean };

const toTenant = (row: TenantRow): ConsoleTenant => ({
  id: row.id,
  handle: row.handle,
  name: row.name,
  publicOrigin: row.public_origin,
  supportCanEditGrants: row.support_can_edit_grants,
});

const TENANT_COLUMNS = sql`t.id, t.handle, t.name, t.origins[1] as public_origin, t.support_can_edit_grants`;

/** Every tenant an admin sees, or the listed ones of a support operator. */
export async function listVisibleTenants(db: Db, operator: { id: string; role: 'support' | 'admin' }): Promise<ConsoleTenant[]> {
  const rows =
    operator.role === 'admin'
      ? await db.many<TenantRow>(sql`select ${TENANT_COLUMNS} from tenants t where not t.internal order by t.handle`)
      : await db.many<TenantRow>(sql`
          select ${TENANT_COLUMNS}
          from tenants t
          join operator_tenants ot on ot.tenant_id = t.id
          where ot.operator_id = ${operator.id}::uuid and not t.internal
          order by t.handle`);
  return rows.map(toTenant);
}

export type OutboxHealth = {
  pending: number;
  failed: number;
  failed24h: number;
  sent24h: number;
  retrying: number;
  oldestPendingAt: Date | null;
  lastSentAt: Date | null;
};

export async function outboxHealth(db: Db, tenantId: string, now: Date): Promise<OutboxHealth> {
  const dayAgo = new Date(now.getTime() - 24 * 3600 * 1000);
  const row = await db.one<{
    pending: number;
    failed: number;
    failed_24h: number;
    sent_24h: number;
    retrying: number;
    oldest_pending_at: Date | null;
    last_sent_at: Date | null;
  }>(sql`
    select count(*) filter (where status in ('pending', 'sending'))::int as pending,
           count(*) filter (where status = 'failed')::int as failed,
           count(*) filter (where status = 'failed' and failed_at >= ${dayAgo})::int as failed_24h,
           count(*) filter (where status = 'sent' and sent_at >= ${dayAgo})::int as sent_24h,
           count(*) filter (where status in ('pending', 'sending') and attempts > 0)::int as retrying,
           min(created_at) filter (where status in ('pending', 'sending')) as oldest_pending_at,
           max(sent_at) as last_sent_at
    from mail_outbox
    where tenant_id = ${tenantId}::uuid`);
  return {
    pending: row?.pending ?? 0,
    failed: row?.failed ?? 0,
    failed24h: row?.failed_24h ?? 0,
    sent24h: row?.sent_24h ?? 0,
    retrying: row?.retrying ?? 0,
    oldestPendingAt: row?.oldest_pending_at ? new Date(row.oldest_pending_at) : null,
    lastSentAt: row?.last_sent_at ? new Date(row.last_sent_at) : null,
  };
}

export type OutboxProblemRow = {
  id: string;
  to_address: string;
  status: string;
  attempts: number;
  last_error: string | null;
  request_id: string;
  created_at: Date;
  next_attempt_at: Date;
  failed_at: Date | null;
};

/** Mail not (yet) delivered: queued or retrying first, then the most recent failures. */
export async function outboxProblems(db: Db, tenantId: string, limit = 20): Promise<OutboxProblemRow[]> {
  return db.many<OutboxProblemRow>(sql`
    select id, to_address, status, attempts, last_error, request_id, created_at, next_attempt_at, failed_at
    from mail_outbox
    where tenant_id = ${tenantId}::uuid and status in ('pending', 'sending', 'failed')
    order by (status = 'failed'), created_at desc
    limit ${limit}`);
}

export type ReportRow = {
  id: string;
  tenant_id: string;
  summary: string;
  details: string;
  repro_artifact: string | null;
  status: 'open' | 'handled';
  request_id: string;
  cited_request_id: string | null;
  created_at: Date;
  handled_at: Date | null;
  /** Who marked it handled (their email; the `operator:<id>` when the operator is unknown) and their note. */
  handled_by: string | null;
  handled_note: string | null;
  /** The shopper: the visitor whose session came with the report, else the visitor of the cited request. */
  shopper_email: string | null;
};

// The shopper of a report: its own visitor, or whoever the cited request was about (request log,
// else the audit trail — the log is written a fraction of a second late).
const REPORT_COLUMNS = sql`r.id, r.tenant_id, r.summary, r.details, r.repro_artifact, r.status, r.request_id, r.cited_request_id,
  r.created_at, r.handled_at, r.handled_note,
  coalesce((select o.email from operators o where r.handled_by = 'operator:' || o.id::text), r.handled_by) as handled_by,
  coalesce(
    v.email,
    (select cv.email from request_log rl join visitors cv on cv.id = rl.visitor_id
      where r.cited_request_id is not null and rl.request_id = r.cited_request_id and cv.tenant_id = r.tenant_id),
    (select av.email from audit_events a join visitors av on av.id = a.visitor_id
      where r.cited_request_id is not null and a.request_id = r.cited_request_id and av.tenant_id = r.tenant_id
      order by a.created_at limit 1)
  ) as shopper_email`;

/** A tenant's support reports: open ones first, newest first. */
export async function tenantReports(db: Db, tenantId: string, limit = 30): Promise<ReportRow[]> {
  return db.many<ReportRow>(sql`
    select ${REPORT_COLUMNS}
    from support_reports r
    left join visitors v on v.id = r.visitor_id
    where r.tenant_id = ${tenantId}::uuid
    order by (r.status = 'handled'), r.created_at desc
    limit ${limit}`);
}

/** The reports about one shopper: filed with their session, or citing one of their requests. */
export async function shopperReports(db: Db, tenantId: string, visitorId: string, limit = 30): Promise<ReportRow[]> {
  return db.many<ReportRow>(sql`
    select ${REPORT_COLUMNS}
    from support_reports r
    left join visitors v on v.id = r.visitor_id
    where r.tenant_id = ${tenantId}::uuid
      and (r.visitor_id = ${visitorId}::uuid
           or r.cited_request_id in (select request_id from request_log where visitor_id = ${visitorId}::uuid)
           or r.cited_request_id in (select request_id from magic_links where visitor_id = ${visitorId}::uuid)
           or r.cited_request_id in (select request_id from audit_events where visitor_id = ${visitorId}::uuid and request_id is not null))
    order by (r.status = 'handled'), r.created_at desc
    limit ${limit}`);
}

export async function countOpenReports(db: Db, tenantId: string): Promise<number> {
  const row = await db.one<{ count: number }>(sql`
    select count(*)::int as count from support_reports where tenant_id = ${tenantId}::uuid and status = 'open'`);
  return row?.count ?? 0;
}
