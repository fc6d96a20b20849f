// Every SQL statement of pending sign-ins (`pending_sign_ins`, owned by the magic-link feature):
// the browser that asked for a link waits; the link opened elsewhere approves it (the right number)
// or rejects it (a wrong one), using the link up either way; the waiting browser claims its
// session once. `now` always comes from the injected clock.
import { auditInsert, recordAudit } from '../audit/audit.ts';
import { recordSecurityEvent } from '../audit/security-events.ts';
import type { Db } from '../db/db.ts';
import { sql, type Query } from '../db/sql.ts';
import { sessionInsert } from '../sessions/sessions.ts';
import { webhookEventInsert } from '../webhooks/events.ts';

export type PendingStatus = 'waiting' | 'approved' | 'rejected' | 'signed_in' | 'superseded';

/** A pending sign-in with what its link says about it (the id hash never leaves this module). */
export type PendingRow = {
  id: string;
  tenant_id: string;
  visitor_id: string | null;
  link_id: string | null;
  number: number;
  choices: number[];
  status: PendingStatus;
  request_id: string;
  created_at: Date;
  expires_at: Date;
  decided_at: Date | null;
  session_id: string | null;
  link_expires_at: Date | null;
  link_used_at: Date | null;
  return_to: string | null;
};

/** A pending sign-in as support sees it (the console's shopper page). */
export type PendingViewRow = {
  id: string;
  link_id: string | null;
  number: number;
  status: PendingStatus;
  request_id: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
  expires_at: Date;
  link_expires_at: Date | null;
  link_used_at: Date | null;
  decided_at: Date | null;
  decided_request_id: string | null;
  decided_ip: string | null;
  decided_user_agent: string | null;
  session_id: string | null;
  signed_in_at: Date | null;
  signed_in_request_id: string | null;
};

export type NewPending = {
  pendingId: string;
  idHash: string;
  number: number;
  choices: number[];
  requestId: string;
  ip: string;
  userAgent: string | null;
  expiresAt: Date;
};

/**
 * The pending sign-in's part of the sign-in request's statement (a CTE after its `link` CTE): the
 * row, in the same round trip as the link (its audit row, `sign_in_requested`, names it).
 */
export function pendingWithLink(p: NewPending, tenantId: string, now: Date): Query {
  return sql`,
    pending as (
      insert into pending_sign_ins (id, tenant_id, visitor_id, link_id, id_hash, number, choices, request_id, ip, user_agent, created_at, expires_at)
      select ${p.pendingId}::uuid, ${tenantId}::uuid, link.visitor_id, link.id, ${p.idHash}, ${p.number}, ${p.choices}::smallint[], ${p.requestId},
             ${p.ip}, ${p.userAgent}, ${now}, ${p.expiresAt}
      from link
      returning id
    )`;
}

/** A pending sign-in without a link (no mail was sent): it looks the same, waits, and expires. */
export async function insertUnlinkedPending(db: Db, tenantId: string, p: NewPending, now: Date): Promise<void> {
  await db.many(sql`
    insert into pending_sign_ins (id, tenant_id, visitor_id, link_id, id_hash, number, choices, request_id, ip, user_agent, created_at, expires_at)
    values (${p.pendingId}::uuid, ${tenantId}::uuid, null, null, ${p.idHash}, ${p.number}, ${p.choices}::smallint[], ${p.requestId},
            ${p.ip}, ${p.userAgent}, ${now}, ${p.expiresAt})`);
}

/** The browser asked again: its previous pending sign-in (still waiting) stops waiting. */
export async function supersedePending(db: Db, tenantId: string, idHash: string, now: Date): Promise<void> {
  await db.many(sql`
    update pending_sign_ins set status = 'superseded', decided_at = ${now}
    where id_hash = ${idHash} and tenant_id = ${tenantId}::uuid and status = 'waiting'`);
}

const PENDING_COLUMNS = sql`p.id, p.tenant_id, p.visitor_id, p.link_id, p.number, array_to_json(p.choices) as choices, p.status, p.request_id, p.created_at, p.expires_at,
  p.decided_at, p.session_id, l.expires_at as link_expires_at, l.used_at as link_used_at, l.return_to`;

export async function findPendingByHash(db: Db, idHash: string): Promise<PendingRow | undefined> {
  const row = await db.one<PendingRow>(sql`
    select ${PENDING_COLUMNS}
    from pending_sign_ins p
    left join magic_links l on l.id = p.link_id
    where p.id_hash = ${idHash}`);
  return row && { ...row, choices: row.choices.map(Number) };
}

/** The newest pending sign-in a link may still approve (waiting), if any. */
export async function findWaitingPendingForLink(db: Db, linkId: string): Promise<(PendingRow & { id_hash: string }) | undefined> {
  const row = await db.one<PendingRow & { id_hash: string }>(sql`
    select ${PENDING_COLUMNS}, p.id_hash
    from pending_sign_ins p
    join magic_links l on l.id = p.link_id
    where p.link_id = ${linkId}::uuid and p.status = 'waiting'
    order by p.created_at desc
    limit 1`);
  return row && { ...row, choices: row.choices.map(Number) };
}

export type Decider = { requestId: string; ip: string; userAgent: string | null };

/**
 * The other device's answer, in one transaction: the link is used up (only if still unused and
 * unexpired) and the pending sign-in decided (only if still waiting) — both or neither. Approved:
 * the session id the waiting browser will claim is reserved on the link. Rejected: a security event.
 */
export async function decidePending(
  db: Db,
  input: { pending: PendingRow; approve: boolean; sessionId: string; picked: number; by: Decider; now: Date },
): Promise<boolean> {
  const { pending, by, now } = input;
  return db
    .transaction(async (tx) => {
      const used = await tx.one<{ id: string }>(sql`
      update magic_links
      set used_at = ${now}, used_by_session_id = ${input.approve ? input.sessionId : null}::uuid
      where id = ${pending.link_id}::uuid and used_at is null and (expires_at is null or expires_at > ${now})
      returning id`);
      if (!used) return false;
      const decided = await tx.one<{ id: string }>(sql`
      update pending_sign_ins
      set status = ${input.approve ? 'approved' : 'rejected'}, decided_at = ${now}, decided_request_id = ${by.requestId},
          decided_ip = ${by.ip}, decided_user_agent = ${by.userAgent?.slice(0, 512) ?? null},
          session_id = ${input.approve ? input.sessionId : null}::uuid
      where id = ${pending.id}::uuid and status = 'waiting'
      returning id`);
      // Decided meanwhile (another tab of the other device): undo the link's use with the transaction.
      if (!decided) throw new PendingRaceLost();
      const detail = { pendingId: pending.id, linkId: pending.link_id };
      await recordAudit(tx, {
        kind: input.approve ? 'pending_approved' : 'number_mismatch',
        actor: 'visitor',
        requestId: by.requestId,
        tenantId: pending.tenant_id,
        visitorId: pending.visitor_id,
        detail: input.approve ? detail : { ...detail, picked: input.picked },
        at: now,
      });
      if (!input.approve) {
        await recordSecurityEvent(tx, {
          tenantId: pending.tenant_id,
          visitorId: pending.visitor_id,
          kind: 'number_mismatch',
          requestId: by.requestId,
          ip: by.ip,
          userAgent: by.userAgent,
          detail: { ...detail, picked: input.picked, pendingRequestId: pending.request_id },
          now,
        });
      }
      return true;
    })
    .catch((error: unknown) => {
      if (error instanceof PendingRaceLost) return false;
      throw error;
    });
}

class PendingRaceLost extends Error {}

export type ClaimedRow = { visitor_id: string; email: string; return_to: string; session_id: string; expires_at: Date };

/**
 * The waiting browser takes the session its approval reserved: one statement, so it happens once
 * however many polls race — the pending sign-in is marked signed in, the session created, an audit
 * row and the `visitor.signed_in` webhook (method `link`) written.
 */
export async function claimApprovedPending(
  db: Db,
  input: {
    pendingId: string;
    approvedSince: Date;
    tokenHash: string;
    expiresAt: Date;
    requestId: string;
    userAgent: string | null;
    ip: string;
    now: Date;
  },
): Promise<ClaimedRow | undefined> {
  return db.one<ClaimedRow>(sql`
    with claimed as (
      update pending_sign_ins
      set status = 'signed_in', signed_in_at = ${input.now}, signed_in_request_id = ${input.requestId}
      where id = ${input.pendingId}::uuid and status = 'approved' and decided_at > ${input.approvedSince}
      returning id, tenant_id, visitor_id, link_id, session_id
    ),
    created as (
      ${sessionInsert(sql`
      select claimed.session_id, claimed.tenant_id, claimed.visitor_id, ${input.tokenHash}, claimed.link_id, ${input.now}, ${input.now},
             ${input.expiresAt}, ${input.userAgent?.slice(0, 512) ?? null}, ${input.ip}
      from claimed`)}
      returning id, visitor_id, expires_at
    ),
    audit as (${auditInsert(sql`
      select claimed.tenant_id, claimed.visitor_id, claimed.session_id, ${input.requestId}, 'pending_signed_in', 'visitor',
             jsonb_build_object('pendingId', claimed.id, 'linkId', claimed.link_id), ${input.now}
      from claimed`)}),
    webhook as (${webhookEventInsert(sql`
      select claimed.tenant_id, 'visitor.signed_in',
             jsonb_build_object('visitorId', claimed.visitor_id, 'sessionId', claimed.session_id, 'method', 'link'::text,
                                'requestId', ${input.requestId}::text),
             (select email from visitors where id = claimed.visitor_id), ${input.requestId}, ${input.now}
      from claimed`)})
    select created.visitor_id, v.email, l.return_to, created.id as session_id, created.expires_at
    from created
    join claimed on true
    join magic_links l on l.id = claimed.link_id
    join visitors v on v.id = created.visitor_id`);
}

/** The visitor's pending sign-ins, newest first (the console's shopper page). */
export async function listVisitorPendingSignIns(db: Db, visitorId: string, limit = 25): Promise<PendingViewRow[]> {
  return db.many<PendingViewRow>(sql`
    select p.id, p.link_id, p.number, p.status, p.request_id, p.ip, p.user_agent, p.created_at, p.expires_at,
           l.expires_at as link_expires_at, l.used_at as link_used_at, p.decided_at, p.decided_request_id, p.decided_ip,
           p.decided_user_agent, p.session_id, p.signed_in_at, p.signed_in_request_id
    from pending_sign_ins p
    left join magic_links l on l.id = p.link_id
    where p.visitor_id = ${visitorId}::uuid
    order by p.created_at desc
    limit ${limit}`);
}

/** Retention: deletes up to `limit` pending sign-ins that expired before `before`; returns how many. */
export async function deleteExpiredPendingBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from pending_sign_ins where ctid = any(array(
      select ctid from pending_sign_ins where expires_at < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}

/** A merge of two visitors (visitors/addresses.ts): the absorbed one's pending sign-ins become the survivor's. */
export async function movePendingSignIns(db: Db, from: string, into: string): Promise<void> {
  await db.many(sql`update pending_sign_ins set visitor_id = ${into}::uuid where visitor_id = ${from}::uuid`);
}
