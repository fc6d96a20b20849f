// The sign-in request's statement for many requests at once (request-batch.ts): the same rows as
// insertLinkWithMail (queries.ts) writes for one — visitor, link, audit row, pending sign-in, outbox
// message — for every request of one event-loop turn, in one statement and one commit. Each
// table's part comes from its owner (visitors/, audit/, mail/); the links' and pending sign-ins'
// are this feature's. The rows travel as one JSON array (one statement text for every batch size),
// as text: a parameter typed json would be serialised once more by postgres.js (a JSON string).
import { auditInsert } from '../audit/audit.ts';
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { outboxInsert } from '../mail/outbox.ts';
import { visitorsUpsert } from '../visitors/visitors.ts';
import type { NewLink } from './queries.ts';

/** One request's row of the batch: NewLink's fields, the pending sign-in's flattened (null without one). */
function rowOf(link: NewLink) {
  const p = link.pending;
  return {
    link_id: link.linkId,
    outbox_id: link.outboxId,
    tenant_id: link.tenantId,
    email: link.email,
    token_hash: link.tokenHash,
    code_hash: link.codeHash,
    secret_id: link.secretId,
    return_to: link.returnTo,
    request_id: link.requestId,
    actor: link.actor,
    message_id: link.messageId,
    payload: link.sealedPayload,
    now: link.now.toISOString(),
    pending_id: p?.pendingId ?? null,
    pending_hash: p?.idHash ?? null,
    pending_number: p?.number ?? null,
    pending_choices: p?.choices ?? null,
    pending_request_id: p?.requestId ?? null,
    pending_ip: p?.ip ?? null,
    pending_user_agent: p?.userAgent ?? null,
    pending_expires_at: p?.expiresAt.toISOString() ?? null,
  };
}

/**
 * Every link of the batch with its visitor, audit row, pending sign-in and outbox message: one
 * statement. Each address's visitor (a verified further address signs in as its visitor) is
 * upserted once per (tenant, email), in sorted order (visitorsUpsert). Answers each link's visitor.
 */
export async function insertLinksWithMail(db: Db, links: readonly NewLink[]): Promise<Map<string, string>> {
  const rows = await db.many<{ link_id: string; visitor_id: string }>(sql`
    with input as (
      select * from json_to_recordset(${JSON.stringify(links.map(rowOf))}::text::json) as r(
        link_id uuid, outbox_id uuid, tenant_id uuid, email text, token_hash text, code_hash text, secret_id text, return_to text,
        request_id text, actor text, message_id text, payload text, now timestamptz, pending_id uuid, pending_hash text,
        pending_number smallint, pending_choices smallint[], pending_request_id text, pending_ip text, pending_user_agent text,
        pending_expires_at timestamptz)
    ),
    ${visitorsUpsert(sql`
      select distinct on (tenant_id, email) tenant_id, email, now as created_at from input order by tenant_id, email, now`)},
    link as (
      insert into magic_links (id, tenant_id, visitor_id, token_hash, code_hash, secret_id, return_to, request_id, created_at)
      select input.link_id, input.tenant_id, visitor.id, input.token_hash, input.code_hash, input.secret_id,
             input.return_to, input.request_id, input.now
      from input
      join visitor on visitor.tenant_id = input.tenant_id and visitor.email = input.email
      returning id, visitor_id
    ),
    audit as (${auditInsert(sql`
      select input.tenant_id, link.visitor_id, null::uuid, input.request_id, 'sign_in_requested', input.actor,
             jsonb_build_object('linkId', link.id, 'returnTo', input.return_to)
               || case when input.pending_id is null then '{}'::jsonb else jsonb_build_object('pendingId', input.pending_id) end,
             input.now
      from input
      join link on link.id = input.link_id`)}),
    pending as (
      insert into pending_sign_ins (id, tenant_id, visitor_id, link_id, id_hash, number, choices, request_id, ip, user_agent, created_at, expires_at)
      select input.pending_id, input.tenant_id, link.visitor_id, link.id, input.pending_hash, input.pending_number, input.pending_choices,
             input.pending_request_id, input.pending_ip, input.pending_user_agent, input.now, input.pending_expires_at
      from input
      join link on link.id = input.link_id
      where input.pending_id is not null
    ),
    outbox as (${outboxInsert(sql`
      select input.outbox_id, input.tenant_id, link.id, 'magic_link', input.email, input.message_id,
             input.secret_id, input.payload, input.request_id, input.now, input.now
      from input
      join link on link.id = input.link_id`)})
    select id as link_id, visitor_id from link`);
  return new Map(rows.map((r) => [r.link_id, r.visitor_id]));
}
