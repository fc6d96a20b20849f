// Sign-in links and pending sign-ins in export and erasure (never a token or code hash). Deleting
// the links also deletes their outbox rows (on delete cascade).
import { sql } from '../db/sql.ts';
import type { PersonalData } from '../privacy/subject.ts';

export const SIGN_IN_LINK_DATA: PersonalData = {
  name: 'signInLinks',
  export: (db, subject) =>
    db.many(sql`
      select id, created_at as "createdAt", sent_at as "sentAt", expires_at as "expiresAt", used_at as "usedAt",
             code_attempts as "codeAttempts", code_burned_at as "codeBurnedAt"
      from magic_links where visitor_id = ${subject.visitorId}::uuid order by seq`),
  erase: async (tx, erasure) => {
    if (erasure.visitorId) await tx.many(sql`delete from magic_links where visitor_id = ${erasure.visitorId}::uuid`);
  },
};

export const PENDING_SIGN_IN_DATA: PersonalData = {
  name: 'pendingSignIns',
  export: (db, subject) =>
    db.many(sql`
      select id, status, created_at as "createdAt", expires_at as "expiresAt", ip, user_agent as "userAgent",
             decided_at as "decidedAt", decided_ip as "decidedIp", decided_user_agent as "decidedUserAgent", signed_in_at as "signedInAt"
      from pending_sign_ins where visitor_id = ${subject.visitorId}::uuid order by created_at`),
  erase: async (tx, erasure) => {
    if (erasure.visitorId) await tx.many(sql`delete from pending_sign_ins where visitor_id = ${erasure.visitorId}::uuid`);
  },
};
