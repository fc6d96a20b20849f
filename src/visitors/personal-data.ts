// The visitor row's part in export and erasure, and who a data subject is. Deleting the row comes
// last: the address may then start again as a new visitor (a new id).
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import type { DataSubject, PersonalData } from '../privacy/subject.ts';

/**
 * The visitor of (tenant, address) and every address it holds. With no visitor row the subject is
 * the address alone (a storefront may have granted it before any sign-in).
 */
export async function findDataSubject(db: Db, tenantId: string, email: string): Promise<DataSubject> {
  const visitor = await db.one<{ id: string; email: string }>(
    sql`select id, email from visitors where tenant_id = ${tenantId}::uuid and email = ${email}`,
  );
  return { tenantId, visitorId: visitor?.id ?? null, emails: [email] };
}

export const VISITOR_DATA: PersonalData = {
  name: 'visitor',
  export: (db, subject) => db.one(sql`select id, email, created_at as "createdAt" from visitors where id = ${subject.visitorId}::uuid`),
  erase: async (tx, erasure) => {
    if (erasure.visitorId) await tx.many(sql`delete from visitors where id = ${erasure.visitorId}::uuid`);
  },
};
