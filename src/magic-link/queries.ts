// Every SQL statement of the magic-link feature. `now` always comes from the injected clock.
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';

export type LinkRow = {
  id: string;
  tenant_id: string;
  visitor_id: string;
  email: string;
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
  now: Date;
};

/** Visitor upsert, link and outbox message in one statement: one round trip, one commit. */
export async function insertLinkWithMail(db: Db, link: NewLink): Promise<{ visitorId: string }> {
  const row = await db.one<{ visitor_id: string }>(sql`
    with visitor as (
      insert into visitors (tenant_id, email, created_at)
      values (${link.tenantId}, ${link.email}, ${link.now})
      on conflict (tenant_id, email) do update set email = excluded.email
      returning id
    ),
    link as (
      insert into magic_links (id, tenant_id, visitor_id, token_hash, code_hash, secret_id, return_to, request_id, created_at)
      select ${link.linkId}::uuid, ${link.tenantId}::uuid, visitor.id, ${link.tokenHash}, ${link.codeHash}, ${link.secretId},
             ${link.returnTo}, ${link.requestId}, ${link.now}
      from visitor
      returning id, visitor_id
    ),
    audit as (
      insert into audit_events (tenant_id, visitor_id, request_id, kind, actor, detail, created_at)
      select ${link.tenantId}::uuid, link.visitor_id, ${link.requestId}, 'sign_in_requested', ${link.actor}::text,
             jsonb_build_object('linkId', link.id, 'returnTo', ${link.returnTo}::text), ${link.now}
      from link
    )
    insert into mail_outbox (id, tenant_id, magic_link_id, kind, to_address, message_id, secret_id, payload, request_id,
                             next_attempt_at, created_at)
    select ${link.outboxId}::uuid, ${link.tenantId}::uuid, link.id, 'magic_link', ${link.email}, ${link.messageId},
           ${link.secretId}, ${link.sealedPayload}, ${link.requestId}, ${link.now}, ${link.now}
    from link
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
    from visitors v
    join magic_links l on l.visitor_id = v.id
    where v.tenant_id = ${tenantId} and v.email = ${email}
    order by l.seq desc
    limit 1`);
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
export async function consumeLinkIntoSession(db: Db, where: { linkId: string; maxCodeAttempts?: number }, session: NewSession): Promise<ConsumedRow | undefined> {
  // By code: a code burned (or out of attempts) meanwhile never signs in, whatever the timing.
  const codeStillLive = where.maxCodeAttempts === undefined ? sql`` : sql`and code_burned_at is null and code_attempts <= ${where.maxCodeAttempts}`;
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
      insert into sessions (id, tenant_id, visitor_id, token_hash, magic_link_id, created_at, last_seen_at, expires_at, user_agent, ip)
      select ${session.sessionId}::uuid, used.tenant_id, used.visitor_id, ${session.tokenHash}, used.id, ${session.now}, ${session.now},
             ${session.expiresAt}, ${session.userAgent}, ${session.ip}
      from used
      returning id, visitor_id, expires_at, created_at
    ),
    audit as (
      insert into audit_events (tenant_id, visitor_id, session_id, request_id, kind, actor, detail, created_at)
      select used.tenant_id, used.visitor_id, ${session.sessionId}::uuid, ${session.requestId}, ${session.via === 'code' ? 'code_consumed' : 'link_consumed'},
             'visitor', jsonb_build_object('linkId', used.id), ${session.now}
      from used
    )
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
      from visitors v
      join magic_links l on l.visitor_id = v.id
      where v.tenant_id = ${tenantId} and v.email = ${email}
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
 * A used link presented again: one security event per link, whatever the number of replays — the
 * count goes up and the last-seen time, IP, user agent and request id are the latest (a partial
 * unique index on the link id), so replays cannot grow the table.
 */
export async function recordLinkReplay(
  db: Db,
  event: { tenantId: string; visitorId: string; linkId: string; usedAt: Date; requestId: string; ip: string; userAgent: string | null; now: Date },
): Promise<void> {
  await db.many(sql`
    insert into security_events (tenant_id, visitor_id, kind, request_id, ip, user_agent, detail, created_at)
    values (${event.tenantId}, ${event.visitorId}, 'used_link_replayed', ${event.requestId}, ${event.ip}, ${event.userAgent},
            ${{ linkId: event.linkId, usedAt: event.usedAt.toISOString() }}, ${event.now})
    on conflict ((detail->>'linkId')) where kind = 'used_link_replayed'
    do update set occurrences = security_events.occurrences + 1, last_seen_at = excluded.created_at,
                  request_id = excluded.request_id, ip = excluded.ip, user_agent = excluded.user_agent`);
}

export async function recordSecurityEvent(
  db: Db,
  event: { tenantId: string; visitorId: string | null; kind: string; requestId: string; ip: string; userAgent: string | null; detail: Record<string, unknown>; now: Date },
): Promise<void> {
  await db.many(sql`
    insert into security_events (tenant_id, visitor_id, kind, request_id, ip, user_agent, detail, created_at)
    values (${event.tenantId}, ${event.visitorId}, ${event.kind}, ${event.requestId}, ${event.ip}, ${event.userAgent},
            ${event.detail}, ${event.now})`);
}
