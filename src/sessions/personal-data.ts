// Sessions in export and erasure: every session of the visitor, live or not (never its token hash).
import { sql } from '../db/sql.ts';
import type { PersonalData } from '../privacy/subject.ts';

export const SESSION_DATA: PersonalData = {
  name: 'sessions',
  export: (db, subject) =>
    db.many(sql`
      select id, scope, order_id as "orderId", created_at as "createdAt", last_seen_at as "lastSeenAt", expires_at as "expiresAt",
             revoked_at as "revokedAt", ip, user_agent as "userAgent"
      from sessions where visitor_id = ${subject.visitorId}::uuid order by created_at`),
  erase: async (tx, erasure) => {
    if (erasure.visitorId) await tx.many(sql`delete from sessions where visitor_id = ${erasure.visitorId}::uuid`);
  },
};
