// The operator's request-id lookup: what happened on one request and around it. A request is found
// by any trace of it — the request log (written in batches), the audit trail, the mail outbox,
// security events, or reports and escalations that cite it — so a mail event is found even when the
// log row is not written yet. Never a secret: no token hashes, no mail payloads or recipients.
// Only rows of the caller's tenants count (`scope`): a support operator of one storefront never sees
// another storefront's reports, escalations, audit rows or events that name the same request id.
import type { Db } from '../db/db.ts';
import type { TenantDirectory } from '../tenants/tenants.ts';
import {
  findAuditEvents,
  findContentReports,
  findEscalations,
  findLoggedRequest,
  findMail,
  findNearbyRequests,
  findReports,
  findRequestSecurityEvents,
  findVisitor,
  findVisitorSecurityEvents,
  type RequestLogRow,
  type TenantScope,
} from './lookup-queries.ts';

export type { TenantScope } from './lookup-queries.ts';

/** "Around it": the visitor's other requests and security events this close in time. */
const AROUND_MS = 10 * 60 * 1000;

const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);
const first = <T>(...values: (T | null | undefined)[]): T | null => values.find((v) => v !== null && v !== undefined) ?? null;

function requestItem(row: RequestLogRow) {
  return {
    requestId: row.request_id,
    method: row.method,
    path: row.path,
    status: row.status,
    code: row.code,
    visitorId: row.visitor_id,
    sessionId: row.session_id,
    durationMs: Number(row.duration_ms),
    at: iso(row.created_at),
  };
}

/** `scope`: the tenant ids the caller may see, or null for every tenant (admins, service PATs). */
export async function lookUpRequest(deps: { db: Db; tenants: TenantDirectory }, requestId: string, scope: TenantScope = null) {
  const { db } = deps;
  const [logged, audit, mail, reports, contentReports, ownSecurity] = await Promise.all([
    findLoggedRequest(db, requestId, scope),
    findAuditEvents(db, requestId, scope),
    findMail(db, requestId, scope),
    findReports(db, requestId, scope),
    findContentReports(db, requestId, scope),
    findRequestSecurityEvents(db, requestId, scope),
  ]);
  const escalations = await findEscalations(
    db,
    requestId,
    reports.map((r) => r.id),
    scope,
  );
  // What this request itself filed (as opposed to reports and escalations that merely cite it).
  const ownReports = reports.filter((r) => r.request_id === requestId);
  const filed = [...ownReports, ...contentReports, ...escalations.filter((e) => e.request_id === requestId)];
  const traces = [...audit, ...mail, ...ownSecurity, ...filed];
  if (!logged && traces.length === 0 && reports.length === 0 && escalations.length === 0) return null;

  const visitorId = first(
    logged?.visitor_id,
    ...audit.map((a) => a.visitor_id),
    ...mail.map((m) => m.visitor_id),
    ...ownSecurity.map((s) => s.visitor_id),
    ...ownReports.map((r) => r.visitor_id),
  );
  const sessionId = first(logged?.session_id, ...audit.map((a) => a.session_id), ...ownReports.map((r) => r.session_id));
  const tenantId = first(
    logged?.tenant_id,
    ...audit.map((a) => a.tenant_id),
    ...mail.map((m) => m.tenant_id),
    ...ownSecurity.map((s) => s.tenant_id),
    ...filed.map((f) => f.tenant_id),
  );
  // "Around it" is anchored on when the request happened (or its earliest trace). A request id that
  // is only cited by someone has no time of its own, and so nothing around it.
  const times = traces.map((row) => new Date(row.created_at).getTime());
  const at = logged ? new Date(logged.created_at) : times.length ? new Date(Math.min(...times)) : null;
  const from = at ? new Date(at.getTime() - AROUND_MS) : null;
  const to = at ? new Date(at.getTime() + AROUND_MS) : null;
  const [visitorSecurity, nearby, visitor, tenant] = await Promise.all([
    from && to && visitorId ? findVisitorSecurityEvents(db, { visitorId, from, to }, scope) : [],
    from && to ? findNearbyRequests(db, { requestId, visitorId, sessionId, from, to }, scope) : [],
    visitorId ? findVisitor(db, visitorId, scope) : undefined,
    tenantId ? deps.tenants.forId(tenantId) : null,
  ]);
  const seen = new Set(ownSecurity.map((s) => s.id));
  const security = [...ownSecurity, ...visitorSecurity.filter((s) => !seen.has(s.id))].sort(
    (a, b) => new Date(a.created_at).getTime() - new Date(b.created_at).getTime(),
  );

  return {
    requestId,
    route: logged ? { method: logged.method, path: logged.path } : null,
    status: logged?.status ?? null,
    code: logged?.code ?? null,
    tenant: tenant ? { id: tenant.id, handle: tenant.handle } : tenantId ? { id: tenantId, handle: null } : null,
    visitor: visitor ? { id: visitor.id, email: visitor.email } : visitorId ? { id: visitorId, email: null } : null,
    sessionId,
    client: logged ? { ip: logged.ip, userAgent: logged.user_agent } : null,
    timings: { at: iso(at), durationMs: logged ? Number(logged.duration_ms) : null },
    // Whether the request log holds this request yet (it is written in batches, a fraction of a second late).
    logged: Boolean(logged),
    window: from && to ? { from: iso(from), to: iso(to) } : null,
    mail: mail.map((m) => ({
      id: m.id,
      kind: m.kind,
      status: m.status,
      attempts: m.attempts,
      lastError: m.last_error,
      createdAt: iso(m.created_at),
      nextAttemptAt: m.status === 'pending' || m.status === 'sending' ? iso(m.next_attempt_at) : null,
      sentAt: iso(m.sent_at),
      failedAt: iso(m.failed_at),
    })),
    audit: audit.map((a) => ({
      kind: a.kind,
      actor: a.actor,
      visitorId: a.visitor_id,
      sessionId: a.session_id,
      detail: a.detail,
      at: iso(a.created_at),
    })),
    securityEvents: security.map((s) => ({
      kind: s.kind,
      requestId: s.request_id,
      sameRequest: s.request_id === requestId,
      visitorId: s.visitor_id,
      ip: s.ip,
      userAgent: s.user_agent,
      detail: s.detail,
      at: iso(s.created_at),
    })),
    relatedRequests: nearby.map(requestItem),
    reports: reports.map((r) => ({
      reportId: r.id,
      summary: r.summary,
      details: r.details,
      reproArtifact: r.repro_artifact,
      citedRequestId: r.cited_request_id,
      requestId: r.request_id,
      visitorId: r.visitor_id,
      status: r.status,
      filedAt: iso(r.created_at),
    })),
    escalations: escalations.map((e) => ({
      escalationId: e.id,
      reportId: e.report_id,
      summary: e.summary,
      severity: e.severity,
      citedRequestId: e.cited_request_id,
      requestId: e.request_id,
      filedBy: e.filed_by_pat_id ? `operator:${e.filed_by_pat_id}` : null,
      filedAt: iso(e.created_at),
    })),
    contentReports: contentReports.map((c) => ({
      reportId: c.id,
      url: c.url,
      reason: c.reason,
      details: c.details,
      status: c.status,
      filedAt: iso(c.created_at),
    })),
  };
}
