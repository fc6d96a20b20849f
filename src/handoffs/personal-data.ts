// Checkout handoffs in export and erasure (never a token hash).
import { sql } from '../db/sql.ts';
import type { PersonalData } from '../privacy/subject.ts';

export const HANDOFF_DATA: PersonalData = {
  name: 'handoffs',
  export: (db, subject) =>
    db.many(sql`
      select id, order_id as "orderId", created_at as "createdAt", expires_at as "expiresAt", used_at as "usedAt", revoked_at as "revokedAt"
      from handoffs where visitor_id = ${subject.visitorId}::uuid order by created_at`),
  erase: async (tx, erasure) => {
    if (erasure.visitorId) await tx.many(sql`delete from handoffs where visitor_id = ${erasure.visitorId}::uuid`);
  },
};
