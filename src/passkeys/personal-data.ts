// Passkeys in export and erasure: which ones, where and when (no public key), and the visitor's
// registration challenges.
import { sql } from '../db/sql.ts';
import type { PersonalData } from '../privacy/subject.ts';

export const PASSKEY_DATA: PersonalData = {
  name: 'passkeys',
  export: (db, subject) =>
    db.many(sql`
      select id, rp_id as "host", device_type as "deviceType", backed_up as "backedUp", created_at as "createdAt",
             last_used_at as "lastUsedAt", removed_at as "removedAt"
      from passkeys where visitor_id = ${subject.visitorId}::uuid order by created_at`),
  erase: async (tx, erasure) => {
    if (!erasure.visitorId) return;
    await tx.many(sql`delete from passkey_challenges where visitor_id = ${erasure.visitorId}::uuid`);
    await tx.many(sql`delete from passkeys where visitor_id = ${erasure.visitorId}::uuid`);
  },
};
