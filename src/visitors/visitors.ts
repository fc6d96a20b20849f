// Every SQL statement that writes `visitors`, and the one row type. A visitor is an address at one
// tenant; it is created by the sign-in request's statement, through `visitorUpsert`.
import type { Db } from '../db/db.ts';
import { sql, type Query } from '../db/sql.ts';

export type VisitorRow = { id: string; email: string; created_at: Date };

/** The visitor of (tenant, email), created if new — a CTE part `returning id` for a composite statement. */
export function visitorUpsert(visitor: { tenantId: string; email: string; now: Date }): Query {
  return sql`
      insert into visitors (tenant_id, email, created_at)
      values (${visitor.tenantId}, ${visitor.email}, ${visitor.now})
      on conflict (tenant_id, email) do update set email = excluded.email
      returning id`;
}

/**
 * Many visitors at once, created where new — a CTE part for a batched statement (the sign-in
 * requests of one turn). `select` yields tenant_id, email, created_at, each (tenant, email) once.
 */
export function visitorsUpsert(select: Query): Query {
  return sql`
      insert into visitors (tenant_id, email, created_at) ${select}
      on conflict (tenant_id, email) do update set email = excluded.email
      returning id, tenant_id, email`;
}

export async function findVisitor(db: Db, tenantId: string, email: string): Promise<VisitorRow | undefined> {
  return db.one<VisitorRow>(sql`select id, email, created_at from visitors where tenant_id = ${tenantId}::uuid and email = ${email}`);
}
