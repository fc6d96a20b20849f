// Grants: "this email may see this resource at this tenant". Every SQL statement of grants.
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import type { PersonalData } from '../privacy/subject.ts';
import { visitorAddressesOf } from '../visitors/visitors.ts';
import { webhookEventInsert } from '../webhooks/events.ts';

export type GrantKind = 'content' | 'order';

export type Grant = {
  email: string;
  resource: string;
  kind: GrantKind;
  title: string | null;
  orderId: string | null;
  expiresAt: string | null;
  grantedAt: string;
};

type GrantRow = {
  email: string;
  resource: string;
  kind: GrantKind;
  title: string | null;
  order_id: string | null;
  expires_at: Date | null;
  granted_at: Date;
};

const COLUMNS = sql`email, resource, kind, title, order_id, expires_at, granted_at`;

function toGrant(row: GrantRow): Grant {
  return {
    email: row.email,
    resource: row.resource,
    kind: row.kind,
    title: row.title,
    orderId: row.order_id,
    expiresAt: row.expires_at?.toISOString() ?? null,
    grantedAt: row.granted_at.toISOString(),
  };
}

export type GrantInput = {
  email: string;
  resource: string;
  kind: GrantKind;
  title: string | null;
  orderId: string | null;
  expiresAt: Date | null;
};

/**
 * A change (created, updated, deleted) as the `grant.changed` webhook, in the statement that made it:
 * the CTE `changed` yields tenant_id, email, resource, kind, expires_at, change.
 */
function grantChangedWebhook(requestId: string | null, now: Date) {
  return webhookEventInsert(sql`
    select tenant_id, 'grant.changed',
           jsonb_build_object('change', change, 'resource', resource, 'kind', kind, 'expiresAt', expires_at, 'requestId', ${requestId}::text),
           email, ${requestId}::text, ${now}::timestamptz
    from changed`);
}

/**
 * Upsert on (tenant, email, resource): created → 201, updated or unchanged → 200. A change (not an
 * unchanged upsert) is reported as `grant.changed`; `requestId`: the request that made it, if any.
 */
export async function upsertGrant(
  db: Db,
  tenantId: string,
  input: GrantInput,
  now: Date,
  requestId: string | null = null,
): Promise<{ grant: Grant; created: boolean }> {
  const written = await db.one<GrantRow & { created: boolean }>(sql`
    with written as (
      insert into grants (tenant_id, email, resource, kind, title, order_id, expires_at, granted_at, updated_at)
      values (${tenantId}, ${input.email}, ${input.resource}, ${input.kind}, ${input.title}, ${input.orderId}, ${input.expiresAt}, ${now}, ${now})
      on conflict (tenant_id, email, resource) do update
        set kind = excluded.kind, title = excluded.title, order_id = excluded.order_id,
            expires_at = excluded.expires_at, updated_at = excluded.updated_at
        where (grants.kind, grants.title, grants.order_id, grants.expires_at)
              is distinct from (excluded.kind, excluded.title, excluded.order_id, excluded.expires_at)
      returning tenant_id, ${COLUMNS}, (xmax = 0) as created
    ),
    changed as (
      select tenant_id, email, resource, kind, expires_at, case when created then 'created' else 'updated' end as change from written
    ),
    webhook as (${grantChangedWebhook(requestId, now)})
    select ${COLUMNS}, created from written`);
  if (written) return { grant: toGrant(written), created: written.created };
  // Unchanged: the conflicting row was left as it is.
  const existing = await db.one<GrantRow>(sql`
    select ${COLUMNS} from grants where tenant_id = ${tenantId} and email = ${input.email} and resource = ${input.resource}`);
  return { grant: toGrant(existing!), created: false };
}

export async function deleteGrant(
  db: Db,
  tenantId: string,
  email: string,
  resource: string,
  now: Date = new Date(),
  requestId: string | null = null,
): Promise<boolean> {
  const rows = await db.many(sql`
    with changed as (
      delete from grants where tenant_id = ${tenantId} and email = ${email} and resource = ${resource}
      returning id, tenant_id, email, resource, kind, expires_at, 'deleted' as change
    ),
    webhook as (${grantChangedWebhook(requestId, now)})
    select id from changed`);
  return rows.length > 0;
}

/**
 * A refund or chargeback: every live grant carrying the order id ends now (kept, with its end, for
 * the record; a later PUT grants again), each reported as `grant.changed` with change `revoked`.
 * Returns how many ended.
 */
export async function endOrderGrants(
  db: Db,
  tenantId: string,
  orderId: string,
  now: Date,
  requestId: string | null = null,
): Promise<number> {
  const rows = await db.many(sql`
    with changed as (
      update grants set expires_at = ${now}, updated_at = ${now}
      where tenant_id = ${tenantId} and order_id = ${orderId} and (expires_at is null or expires_at > ${now})
      returning tenant_id, email, resource, kind, expires_at, 'revoked' as change
    ),
    webhook as (${grantChangedWebhook(requestId, now)})
    select resource from changed`);
  return rows.length;
}

/** All grants of an email at a tenant, live or not (servers see expired ones too). */
export async function listGrants(db: Db, tenantId: string, email: string): Promise<Grant[]> {
  const rows = await db.many<GrantRow>(sql`
    select ${COLUMNS} from grants where tenant_id = ${tenantId} and email = ${email} order by resource`);
  return rows.map(toGrant);
}

/** The live grants of an email (what the visitor may see now); `orderId`: only that order's (an order-scoped session). */
export async function listLiveGrants(db: Db, tenantId: string, email: string, now: Date, orderId: string | null = null): Promise<Grant[]> {
  const rows = await db.many<GrantRow>(sql`
    select ${COLUMNS} from grants
    where tenant_id = ${tenantId} and email = ${email} and (expires_at is null or expires_at > ${now})
      ${orderId === null ? sql`` : sql`and order_id = ${orderId}`}
    order by resource`);
  return rows.map(toGrant);
}

/** The live grants of every address of a visitor (primary and verified further ones); `orderId` as above. */
export async function listVisitorLiveGrants(
  db: Db,
  tenantId: string,
  visitorId: string,
  now: Date,
  orderId: string | null = null,
): Promise<Grant[]> {
  const rows = await db.many<GrantRow>(sql`
    select ${COLUMNS} from grants
    where tenant_id = ${tenantId} and email in ${visitorAddressesOf(sql`${visitorId}::uuid`)}
      and (expires_at is null or expires_at > ${now})
      ${orderId === null ? sql`` : sql`and order_id = ${orderId}`}
    order by resource, email`);
  return rows.map(toGrant);
}

/** Every grant of a tenant, live or not (the operator CLI's `grant list --handle`). */
export async function listTenantGrants(db: Db, tenantId: string): Promise<Grant[]> {
  const rows = await db.many<GrantRow>(sql`
    select ${COLUMNS} from grants where tenant_id = ${tenantId} order by email, resource`);
  return rows.map(toGrant);
}

/**
 * Grants in export and erasure: every grant of the subject's addresses, live or not. Erasure deletes
 * them without `grant.changed` events (whose copies could carry the address to an endpoint):
 * `visitor.deleted` reports the erasure.
 */
export const GRANT_DATA: PersonalData = {
  name: 'grants',
  export: async (db, subject) => {
    const rows = await db.many<GrantRow>(sql`
      select ${COLUMNS} from grants where tenant_id = ${subject.tenantId}::uuid and email = any(${[...subject.emails]}::text[])
      order by email, resource`);
    return rows.map(toGrant);
  },
  erase: async (tx, erasure) => {
    await tx.many(sql`delete from grants where tenant_id = ${erasure.tenantId}::uuid and email = any(${[...erasure.emails]}::text[])`);
  },
};
