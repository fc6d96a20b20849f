// Every SQL statement that writes `visitors`, and the one row type. A visitor is a buyer at one
// tenant: its primary address is `visitors.email`, its further verified ones are `visitor_emails`
// rows (addresses.ts). It is created by the sign-in request's statement, through `visitorUpsert`.
import type { Db } from '../db/db.ts';
import { sql, type Query } from '../db/sql.ts';

export type VisitorRow = { id: string; email: string; created_at: Date };

/**
 * The visitor of (tenant, email), created if new — CTE parts for a composite statement, the last
 * of which is `visitor` (`returning id`): `with ${visitorUpsert(…)}, link as (… from visitor)`.
 * An address verified as a further one of a visitor is that visitor's: signing in with it lands there.
 */
export function visitorUpsert(visitor: { tenantId: string; email: string; now: Date }): Query {
  return sql`
      visitor_further as (
        select visitor_id as id from visitor_emails
        where tenant_id = ${visitor.tenantId}::uuid and email = ${visitor.email} and verified_at is not null
      ),
      visitor_primary as (
        insert into visitors (tenant_id, email, created_at)
        select ${visitor.tenantId}::uuid, ${visitor.email}, ${visitor.now}::timestamptz
        where not exists (select 1 from visitor_further)
        on conflict (tenant_id, email) do update set email = excluded.email
        returning id
      ),
      visitor as (select id from visitor_further union all select id from visitor_primary)`;
}

/**
 * The visitor an address signs in as (its primary or a verified further one) — a scalar subquery
 * for another feature's statement (the code and the console's newest-link lookups).
 */
export function visitorIdOfEmail(tenantId: string, email: string): Query {
  return sql`(
    select id from visitors where tenant_id = ${tenantId}::uuid and email = ${email}
    union all
    select visitor_id from visitor_emails where tenant_id = ${tenantId}::uuid and email = ${email} and verified_at is not null
    limit 1)`;
}

/**
 * Every address whose grants the visitor holds: the primary and the verified further ones — a
 * subquery yielding `email` for another feature's statement (`visitorId`: an SQL expression).
 */
export function visitorAddressesOf(visitorId: Query): Query {
  return sql`(
    select email from visitors where id = ${visitorId}
    union all
    select email from visitor_emails where visitor_id = ${visitorId} and verified_at is not null)`;
}

/**
 * Every address whose grants the visitor holds, as an array, from a `visitors` row the statement
 * already has (`row`: its alias) — the edge check's `g.email = any(…)`, one index scan of grants and
 * no further lookup: `further_emails` mirrors the verified further addresses (address-queries.ts).
 */
export function visitorGrantEmails(row: Query): Query {
  return sql`array_prepend(${row}.email, ${row}.further_emails)`;
}

/**
 * Many visitors at once — CTE parts ending in `visitor (id, tenant_id, email)` for a batched
 * statement (the sign-in requests of one turn): each address's visitor, by a verified further
 * address as `visitorUpsert` does, else its primary, created where new. `select` yields tenant_id,
 * email, created_at, each (tenant, email) once; new visitors are inserted in (tenant, email) order,
 * so two batches naming the same addresses lock them in the same order.
 */
export function visitorsUpsert(select: Query): Query {
  return sql`
      visitors_wanted as (${select}),
      visitors_further as (
        select e.visitor_id as id, w.tenant_id, w.email from visitors_wanted w
        join visitor_emails e on e.tenant_id = w.tenant_id and e.email = w.email and e.verified_at is not null
      ),
      visitors_primary as (
        insert into visitors (tenant_id, email, created_at)
        select w.tenant_id, w.email, w.created_at from visitors_wanted w
        where not exists (select 1 from visitors_further f where f.tenant_id = w.tenant_id and f.email = w.email)
        order by w.tenant_id, w.email
        on conflict (tenant_id, email) do update set email = excluded.email
        returning id, tenant_id, email
      ),
      visitor as (select id, tenant_id, email from visitors_further union all select id, tenant_id, email from visitors_primary)`;
}

export async function findVisitor(db: Db, tenantId: string, email: string): Promise<VisitorRow | undefined> {
  return db.one<VisitorRow>(sql`
    select id, email, created_at from visitors where id = ${visitorIdOfEmail(tenantId, email)}`);
}

export async function findVisitorById(db: Db, visitorId: string): Promise<(VisitorRow & { tenant_id: string }) | undefined> {
  return db.one<VisitorRow & { tenant_id: string }>(
    sql`select id, tenant_id, email, created_at from visitors where id = ${visitorId}::uuid`,
  );
}

/** A merge's end: the absorbed visitor, emptied by every owner, goes. */
export async function deleteVisitor(db: Db, visitorId: string): Promise<void> {
  await db.many(sql`delete from visitors where id = ${visitorId}::uuid`);
}
