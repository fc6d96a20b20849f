// Every SQL statement of the magic-link feature, and every one that writes `magic_links`. `now`
// always comes from the injected clock. The sign-in request and consume statements are composed of
// the owners' parts (visitors/, sessions/, audit/, mail/): one round trip each.
import { auditInsert } from '../audit/audit.ts';
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { outboxInsert } from '../mail/outbox.ts';
import { sessionInsert } from '../sessions/sessions.ts';
import { visitorIdOfEmail, visitorUpsert } from '../visitors/visitors.ts';
import { webhookEventInsert } from '../webhooks/events.ts';
import { pendingWithLink, type NewPending } from './pending-queries.ts';

/** One row of `magic_links` as features see it (the token hash never leaves this module). */
export type LinkRecord = {
  id: string;
  tenant_id: string;
  visitor_id: string;
  request_id: string;
  code_hash: string;
  secret_id: string;
  return_to: string;
  created_at: Date;
  sent_at: Date | null;
  expires_at: Date | null;
  used_at: Date | null;
  used_by_session_id: string | null;
  code_attempts: number;
  code_burned_at: Date | null;
};

/** A link with its visitor's address: what the sign-in flow decides on. */
export type LinkRow = Omit<LinkRecord, 'request_id'> & { email: string };

/** A link as support sees it: no hashes, with its mail's state and who asked for it. */
export type LinkViewRow = Omit<LinkRecord, 'tenant_id' | 'visitor_id' | 'code_hash' | 'secret_id'> & {
  mail_status: 'pending' | 'sending' | 'sent' | 'failed' | null;
  mail_attempts: number | null;
  mail_last_error: string | null;
  mail_next_attempt_at: Date | null;
  mail_failed_at: Date | null;
  requested_by: string | null;
};

export type NewLink = {
  linkId: string;
  outboxId: string;
  tenantId: string;
  email: string;
  tokenHash: string;
  codeHash: string;
  secretId: string;
  returnTo: string;
  requestId: string;
  /** The audit trail's actor of `sign_in_requested`: `visitor`, or `operator:<id>` for a re-send. */
  actor: string;
  messageId: string;
  sealedPayload: string;
  /** The asking browser's pending sign-in, bound to this link (absent: a server asked). */
  pending?: NewPending;
  now: Date;
};

/**
 * Visitor upsert, link, audit row and outbox message in one statement: one round trip, one commit.
 * Each table's part comes from its owner (visitors/, audit/, mail/); the link's is this module's.
 */
export async function insertLinkWithMail(db: Db, link: NewLink): Promise<{ visitorId: string }> {
  const row = await db.one<{ visitor_id: string }>(sql`
    with ${visitorUpsert({ tenantId: link.tenantId, email: link.email, now: link.now })},
    link as (
      insert into magic_links (id, tenant_id, visitor_id, token_hash, code_hash, secret_id, return_to, request_id, created_at)
      select ${link.linkId}::uuid, ${link.tenantId}::uuid, visitor.id, ${link.tokenHash}, ${link.codeHash}, ${link.secretId},
             ${link.returnTo}, ${link.requestId}, ${link.now}
      from visitor
      returning id, visitor_id
    ),
    audit as (${auditInsert(sql`
      select ${link.tenantId}::uuid, link.visitor_id, null::uuid, ${link.requestId}, 'sign_in_requested', ${link.actor}::text,
             jsonb_build_object('linkId', link.id, 'returnTo', ${link.returnTo}::text) || ${link.pending ? { pendingId: link.pending.pendingId } : {}}::jsonb,
             ${link.now}
      from link`)})${link.pending ? pendingWithLink(link.pending, link.tenantId, link.now) : sql``}
    ${outboxInsert(sql`
    select ${link.outboxId}::uuid, ${link.tenantId}::uuid, link.id, 'magic_link', ${link.email}, ${link.messageId},
           ${link.secretId}, ${link.sealedPayload}, ${link.requestId}, ${link.now}, ${link.now}
    from link`)}
    returning (select visitor_id from link) as visitor_id`);
  return { visitorId: row!.visitor_id };
}

const LINK_COLUMNS = sql`l.id, l.tenant_id, l.visitor_id, v.email, l.code_hash, l.secret_id, l.return_to, l.created_at,
  l.sent_at, l.expires_at, l.used_at, l.used_by_session_id, l.code_attempts, l.code_burned_at`;

export async function findLinkByTokenHash(db: Db, tokenHash: string): Promise<LinkRow | undefined> {
  return db.one<LinkRow>(sql`
    select ${LINK_COLUMNS}
    from magic_links l
    join visitors v on v.id = l.visitor_id
    where l.token_hash = ${tokenHash}`);
}

export async function findLinkById(db: Db, id: string): Promise<LinkRow | undefined> {
  return db.one<LinkRow>(sql`
    select ${LINK_COLUMNS}
    from magic_links l
    join visitors v on v.id = l.visitor_id
    where l.id = ${id}::uuid`);
}

export async function findNewestLinkForEmail(db: Db, tenantId: string, email: string): Promise<LinkRow | undefined> {
  return db.one<LinkRow>(sql`
    select ${LINK_COLUMNS}
    from magic_links l
    join visitors v on v.id = l.visitor_id
    where l.visitor_id = ${visitorIdOfEmail(tenantId, email)}
    order by l.seq desc
    limit 1`);
}

/** The visitor's sign-in links, newest first, each with its mail and who asked for it (the console). */
export async function listVisitorLinks(db: Db, visitorId: string, limit = 25): Promise<LinkViewRow[]> {
  return db.many<LinkViewRow>(sql`
    select l.id, l.request_id, l.return_to, l.created_at, l.sent_at, l.expires_at, l.used_at, l.used_by_session_id,
           l.code_attempts, l.code_burned_at,
           o.status as mail_status, o.attempts as mail_attempts, o.last_error as mail_last_error,
           o.next_attempt_at as mail_next_attempt_at, o.failed_at as mail_failed_at,
           (select a.actor from audit_events a
            where a.request_id = l.request_id and a.kind = 'sign_in_requested' and a.visitor_id = l.visitor_id
            limit 1) as requested_by
    from magic_links l
    left join mail_outbox o on o.magic_link_id = l.id
    where l.visitor_id = ${visitorId}::uuid
    order by l.seq desc
    limit ${limit}`);
}

export type NewSession = {
  sessionId: string;
  requestId: string;
  via: 'link' | 'code';
  tokenHash: string;
  expiresAt: Date;
  userAgent: string | null;
  ip: string;
  now: Date;
};

export type ConsumedRow = { visitor_id: string; email: string; return_to: string; session_id: string; expires_at: Date; created_at: Date };

/**
 * Single use, decided by one statement: the link is marked used only if it is still unused and
 * unexpired, and the session is created from the same row — of concurrent consumers exactly one wins.
 */
export async function consumeLinkIntoSession(
  db: Db,
  where: { linkId: string; maxCodeAttempts?: number },
  session: NewSession,
): Promise<ConsumedRow | undefined> {
  // By code: a code burned (or out of attempts) meanwhile never signs in, whatever the timing.
  const codeStillLive =
    where.maxCodeAttempts === undefined ? sql`` : sql`and code_burned_at is null and code_attempts <= ${where.maxCodeAttempts}`;
  return db.one<ConsumedRow>(sql`
    with used as (
      update magic_links
      set used_at = ${session.now}, used_by_session_id = ${session.sessionId}::uuid
      where id = ${where.linkId}::uuid
        and used_at is null
        and (expires_at is null or expires_at > ${session.now})
        ${codeStillLive}
      returning id, tenant_id, visitor_id, return_to
    ),
    created as (
      ${sessionInsert(sql`
      select ${session.sessionId}::uuid, used.tenant_id, used.visitor_id, ${session.tokenHash}, used.id, ${session.now}, ${session.now},
             ${session.expiresAt}, ${session.userAgent}, ${session.ip}
      from used`)}
      returning id, visitor_id, expires_at, created_at
    ),
    audit as (${auditInsert(sql`
      select used.tenant_id, used.visitor_id, ${session.sessionId}::uuid, ${session.requestId}, ${session.via === 'code' ? 'code_consumed' : 'link_consumed'},
             'visitor', jsonb_build_object('linkId', used.id), ${session.now}
      from used`)}),
    webhook as (${webhookEventInsert(sql`
      select used.tenant_id, 'visitor.signed_in',
             jsonb_build_object('visitorId', used.visitor_id, 'sessionId', ${session.sessionId}::uuid, 'method', ${session.via}::text,
                                'requestId', ${session.requestId}::text),
             (select email from visitors where id = used.visitor_id), ${session.requestId}, ${session.now}
      from used`)})
    select created.visitor_id, v.email, used.return_to, created.id as session_id, created.expires_at, created.created_at
    from created
    join used on true
    join visitors v on v.id = created.visitor_id`);
}

export type CodeReservation = {
  /** The address's newest link (undefined: the address has none). */
  link: LinkRow | undefined;
  /** The attempt this request holds (1…max), or null when none was left or the code is burned. */
  attempt: number | null;
};

/**
 * Reserves one code attempt on the address's newest link BEFORE the code is compared. One
 * statement: concurrent guesses queue on the row lock and re-check `code_attempts < max`, so at
 * most `max` comparisons ever happen. Reserved whatever the link's state (used, expired), so a
 * wrong code costs and answers the same for every address.
 */
export async function reserveCodeAttempt(db: Db, tenantId: string, email: string, maxAttempts: number): Promise<CodeReservation> {
  const row = await db.one<LinkRow & { reserved_attempt: number | null }>(sql`
    with newest as (
      select l.id
      from magic_links l
      where l.visitor_id = ${visitorIdOfEmail(tenantId, email)}
      order by l.seq desc
      limit 1
    ),
    reserved as (
      update magic_links
      set code_attempts = code_attempts + 1
      where id = (select id from newest) and code_attempts < ${maxAttempts} and code_burned_at is null
      returning code_attempts
    )
    select ${LINK_COLUMNS}, (select code_attempts from reserved) as reserved_attempt
    from newest
    join magic_links l on l.id = newest.id
    join visitors v on v.id = l.visitor_id`);
  if (!row) return { link: undefined, attempt: null };
  const { reserved_attempt, ...link } = row;
  return { link, attempt: reserved_attempt };
}

/** The last attempt was wrong: the code is burned (the link itself stays valid). True for the one request that burned it. */
export async function burnCode(db: Db, linkId: string, now: Date): Promise<boolean> {
  const row = await db.one<{ id: string }>(sql`
    update magic_links set code_burned_at = ${now}
    where id = ${linkId}::uuid and code_burned_at is null
    returning id`);
  return row !== undefined;
}

/**
 * SMTP accepted the mail: its link's 15 minutes start now. Run by the outbox inside its record
 * statement (one per group of accepted mails), reading that statement's CTE `sent`.
 */
export const LINKS_STARTED = sql`
        update magic_links l
        set sent_at = sent.sent_at, expires_at = sent.expires_at
        from sent
        where l.id = sent.magic_link_id and l.sent_at is null`;

/** SMTP accepted the sign-in mail: the `magic_link.sent` webhook, in the same record statement (CTE `sent`). */
export const LINKS_SENT_WEBHOOK = webhookEventInsert(sql`
        select sent.tenant_id, 'magic_link.sent',
               jsonb_build_object('linkId', sent.magic_link_id, 'visitorId', sent.visitor_id, 'sentAt', sent.sent_at,
                                  'expiresAt', sent.expires_at, 'requestId', sent.request_id),
               sent.to_address, sent.request_id, sent.sent_at
        from sent
        where sent.magic_link_id is not null`);

/**
 * Retention: deletes up to `limit` links never used that ended (expired, or never sent) before
 * `before`. Their mails and pending sign-ins go with them (on delete cascade). Returns how many.
 */
export async function deleteUnusedLinksBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from magic_links where ctid = any(array(
      select ctid from magic_links where used_at is null and coalesce(expires_at, created_at) < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}

/**
 * Retention: deletes up to `limit` links used before `before` — the janitor passes a time by which
 * the session each made has been deleted too (the console's story of a session starts with its
 * link). As above, their mails and pending sign-ins go with them. Returns how many.
 */
export async function deleteUsedLinksBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from magic_links where ctid = any(array(
      select ctid from magic_links where used_at < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}

/** A merge of two visitors (visitors/addresses.ts): the absorbed one's sign-in links become the survivor's. */
export async function moveLinks(db: Db, from: string, into: string): Promise<void> {
  await db.many(sql`update magic_links set visitor_id = ${into}::uuid where visitor_id = ${from}::uuid`);
}
