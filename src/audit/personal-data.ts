// The audit trail, security events and the request log in export and erasure. Audit and security
// rows are the record of what happened, so they are kept, pseudonymised: the visitor id, IP and
// user agent go, `detail.subject` holds the erasure's pseudonym (the same one in every row of one
// erasure, so support still sees one person's story), and the address is replaced wherever a detail
// names it. Request-log rows of the visitor lose IP, user agent and visitor id; a logged path that
// carried the address in its query string (from before paths were redacted; server calls carry no
// visitor id, some no tenant) keeps only its path — a scan of the log, fine for a rare erasure.
import { sql } from '../db/sql.ts';
import type { PersonalData } from '../privacy/subject.ts';

export const AUDIT_DATA: PersonalData = {
  name: 'auditEvents',
  export: (db, subject) =>
    db.many(sql`
      select kind, actor, request_id as "requestId", session_id as "sessionId", detail, created_at as "createdAt"
      from audit_events where visitor_id = ${subject.visitorId}::uuid order by created_at`),
  erase: async (tx, erasure) => {
    const { addressPattern: p, pseudonym } = erasure;
    await tx.many(sql`
      update audit_events
      set visitor_id = null,
          detail = regexp_replace(detail::text, ${p}, ${pseudonym}, 'gi')::jsonb || jsonb_build_object('subject', ${pseudonym}::text)
      where visitor_id = ${erasure.visitorId}::uuid
         or (tenant_id = ${erasure.tenantId}::uuid and detail::text ~* ${p})`);
  },
};

export const SECURITY_EVENT_DATA: PersonalData = {
  name: 'securityEvents',
  export: (db, subject) =>
    db.many(sql`
      select kind, request_id as "requestId", ip, user_agent as "userAgent", detail, occurrences, created_at as "createdAt",
             last_seen_at as "lastSeenAt"
      from security_events where visitor_id = ${subject.visitorId}::uuid order by created_at`),
  erase: async (tx, erasure) => {
    const { addressPattern: p, pseudonym } = erasure;
    await tx.many(sql`
      update security_events
      set visitor_id = null, ip = null, user_agent = null,
          detail = regexp_replace(detail::text, ${p}, ${pseudonym}, 'gi')::jsonb || jsonb_build_object('subject', ${pseudonym}::text)
      where visitor_id = ${erasure.visitorId}::uuid
         or (tenant_id = ${erasure.tenantId}::uuid and detail::text ~* ${p})`);
  },
};

export const REQUEST_LOG_DATA: PersonalData = {
  name: 'requestLog',
  erase: async (tx, erasure) => {
    if (erasure.visitorId) {
      await tx.many(
        sql`update request_log set ip = null, user_agent = null, visitor_id = null where visitor_id = ${erasure.visitorId}::uuid`,
      );
    }
    await tx.many(sql`
      update request_log set path = split_part(path, '?', 1)
      where path ~* ${erasure.addressPattern}`);
  },
};
