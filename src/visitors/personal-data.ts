// The visitor row's part in export and erasure, and who a data subject is. Deleting the row comes
// last: the address may then start again as a new visitor (a new id).
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import type { DataSubject, PersonalData } from '../privacy/subject.ts';
import { visitorEmailChangeRows, visitorEmailRows } from './address-queries.ts';
import { visitorIdOfEmail } from './visitors.ts';

/**
 * The visitor an address signs in as (its primary or a verified further address) and every address
 * it holds or named. With no visitor row the subject is the address alone (a storefront may have
 * granted it before any sign-in).
 */
export async function findDataSubject(db: Db, tenantId: string, email: string): Promise<DataSubject> {
  const visitor = await db.one<{ id: string }>(sql`select id from visitors where id = ${visitorIdOfEmail(tenantId, email)}`);
  if (!visitor) return { tenantId, visitorId: null, emails: [email], named: [email] };
  const rows = await db.many<{ email: string; held: boolean }>(sql`
    select email, true as held from visitors where id = ${visitor.id}::uuid
    union all
    select email, verified_at is not null from visitor_emails where visitor_id = ${visitor.id}::uuid
    union all
    select unnest(array[old_email, new_email]), false from visitor_email_changes where visitor_id = ${visitor.id}::uuid`);
  const emails = [...new Set(rows.filter((r) => r.held).map((r) => r.email))];
  const named = [...new Set([...emails, ...rows.map((r) => r.email)])];
  return { tenantId, visitorId: visitor.id, emails, named };
}

export const VISITOR_DATA: PersonalData = {
  name: 'visitor',
  export: (db, subject) => db.one(sql`select id, email, created_at as "createdAt" from visitors where id = ${subject.visitorId}::uuid`),
  erase: async (tx, erasure) => {
    if (erasure.visitorId) await tx.many(sql`delete from visitors where id = ${erasure.visitorId}::uuid`);
  },
};

/**
 * The visitor's further addresses and primary changes. Erasing the visitor row removes them (on
 * delete cascade); the export lists them without their proofs (hashes) or the revert token.
 */
export const VISITOR_EMAIL_DATA: PersonalData = {
  name: 'addresses',
  export: async (db, subject) => ({
    further: (await visitorEmailRows(db, subject.visitorId)).map((row) => ({
      email: row.email,
      addedAt: row.added_at,
      verifiedAt: row.verified_at,
    })),
    primaryChanges: (await visitorEmailChangeRows(db, subject.visitorId)).map((row) => ({
      from: row.old_email,
      to: row.new_email,
      at: row.created_at,
      revertedAt: row.reverted_at,
    })),
  }),
  erase: async () => {},
};
