// Webhook events enter the delivery outbox here, in the same statement or transaction as what they
// report: one `webhook_deliveries` row per endpoint of the tenant that subscribed to the type. The
// features that report events (magic-link, mail, sessions, access) import this module, so it
// imports none of them — only the database layer.
import type { Db } from '../db/db.ts';
import { sql, type Query } from '../db/sql.ts';

export const WEBHOOK_EVENT_TYPES = [
  'magic_link.sent',
  'magic_link.opened_without_confirm',
  'magic_link.replayed',
  'visitor.signed_in',
  'session.revoked',
  'grant.changed',
  'visitor.deleted',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** Endpoints of the event's tenant that take this type (`ev` is the event, `e` the endpoint). */
export const SUBSCRIBED = sql`e.tenant_id = ev.tenant_id::uuid and (ev.type::text = any(e.events) or '*' = any(e.events))`;

/**
 * The webhooks' part of a composite statement (as a CTE or the final statement): the caller's
 * `select` yields one row per event — tenant_id (uuid), type (text), data (jsonb: ids and the
 * request id, never a token, code, cookie or email), email (text or null: added to `data` only for
 * endpoints that set includeEmail), request_id (text), created_at (timestamptz) — in that order.
 */
export function webhookEventInsert(select: Query): Query {
  return sql`insert into webhook_deliveries (tenant_id, endpoint_id, type, data, email, request_id, next_attempt_at, created_at)
    select ev.tenant_id::uuid, e.id, ev.type::text, ev.data::jsonb, case when e.include_email then ev.email::text end, ev.request_id::text,
           ev.created_at::timestamptz, ev.created_at::timestamptz
    from (${select}) as ev(tenant_id, type, data, email, request_id, created_at)
    join webhook_endpoints e on ${SUBSCRIBED}`;
}

export type WebhookEvent = {
  tenantId: string;
  type: WebhookEventType;
  data: Record<string, unknown>;
  email: string | null;
  requestId: string | null;
  at: Date;
};

/** One event, as its own statement: call it with the transaction that writes what it reports. */
export async function enqueueWebhookEvent(tx: Db, event: WebhookEvent): Promise<void> {
  await tx.many(
    webhookEventInsert(sql`
    select ${event.tenantId}::uuid, ${event.type}::text, ${event.data}::jsonb, ${event.email}::text, ${event.requestId}::text,
           ${event.at}::timestamptz`),
  );
}
