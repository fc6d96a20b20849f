// Support and content reports in export and erasure. A report is kept (support's counts and the
// request-id lookup stay whole) but loses its personal fields: the shopper's words, IP, user agent
// and the link to the visitor and session. The address written anywhere else in a report of the
// tenant (a report filed without a session, an escalation, a handled note) becomes the pseudonym.
import { sql } from '../db/sql.ts';
import type { PersonalData } from '../privacy/subject.ts';

const ERASED = '[erased]';

export const SUPPORT_REPORT_DATA: PersonalData = {
  name: 'supportReports',
  export: (db, subject) =>
    db.many(sql`
      select id, request_id as "requestId", cited_request_id as "citedRequestId", summary, details, status,
             created_at as "createdAt", handled_at as "handledAt"
      from support_reports where visitor_id = ${subject.visitorId}::uuid order by created_at`),
  erase: async (tx, erasure) => {
    if (erasure.visitorId) {
      await tx.many(sql`
        update support_reports
        set summary = ${ERASED}, details = ${ERASED}, repro_artifact = null, ip = null, user_agent = null,
            visitor_id = null, session_id = null, cited_session_id = null, handled_note = null
        where visitor_id = ${erasure.visitorId}::uuid`);
    }
    const p = erasure.addressPattern;
    await tx.many(sql`
      update support_reports
      set summary = regexp_replace(summary, ${p}, ${erasure.pseudonym}, 'gi'),
          details = regexp_replace(details, ${p}, ${erasure.pseudonym}, 'gi'),
          repro_artifact = regexp_replace(repro_artifact, ${p}, ${erasure.pseudonym}, 'gi'),
          handled_note = regexp_replace(handled_note, ${p}, ${erasure.pseudonym}, 'gi')
      where tenant_id = ${erasure.tenantId}::uuid
        and (summary ~* ${p} or details ~* ${p} or repro_artifact ~* ${p} or handled_note ~* ${p})`);
    await tx.many(sql`
      update escalations set summary = regexp_replace(summary, ${p}, ${erasure.pseudonym}, 'gi')
      where tenant_id = ${erasure.tenantId}::uuid and summary ~* ${p}`);
  },
};

export const CONTENT_REPORT_DATA: PersonalData = {
  name: 'contentReports',
  export: (db, subject) =>
    db.many(sql`
      select id, request_id as "requestId", url, reason, details, status, created_at as "createdAt"
      from content_reports
      where tenant_id = ${subject.tenantId}::uuid and reporter_email = any(${[...subject.emails]}::text[])
      order by created_at`),
  erase: async (tx, erasure) => {
    await tx.many(sql`
      update content_reports set reporter_email = null, details = null, ip = null, user_agent = null
      where tenant_id = ${erasure.tenantId}::uuid and reporter_email = any(${[...erasure.emails]}::text[])`);
    await tx.many(sql`
      update content_reports set details = regexp_replace(details, ${erasure.addressPattern}, ${erasure.pseudonym}, 'gi')
      where tenant_id = ${erasure.tenantId}::uuid and details ~* ${erasure.addressPattern}`);
  },
};
