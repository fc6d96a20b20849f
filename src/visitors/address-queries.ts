// Every SQL statement of a visitor's further addresses: `visitor_emails` (the addresses and their
// proof in flight) and `visitor_email_changes` (a primary change and its "this wasn't me" link).
// `now` always comes from the injected clock.
import { auditInsert } from '../audit/audit.ts';
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { outboxInsert } from '../mail/outbox.ts';

/** One row of `visitor_emails` (the proof's hashes never leave this module but for the code compare). */
export type VisitorEmailRow = {
  id: string;
  tenant_id: string;
  visitor_id: string;
  email: string;
  added_at: Date;
  verified_at: Date | null;
  proof_expires_at: Date | null;
};

const ROW = sql`id, tenant_id, visitor_id, email, added_at, verified_at, proof_expires_at`;

/** Every further address of a visitor, verified or not, oldest first (export and erasure read this too). */
export async function visitorEmailRows(db: Db, visitorId: string): Promise<VisitorEmailRow[]> {
  return db.many<VisitorEmailRow>(sql`select ${ROW} from visitor_emails where visitor_id = ${visitorId}::uuid order by added_at, email`);
}

export type NewProof = {
  id: string;
  outboxId: string;
  tenantId: string;
  visitorId: string;
  email: string;
  tokenHash: string;
  codeHash: string;
  secretId: string;
  expiresAt: Date;
  messageId: string;
  sealedPayload: string;
  requestId: string;
  now: Date;
};

/**
 * The address (added if new) gets a fresh proof, its mail and an audit row, in one statement —
 * unless it is already this visitor's (primary, or verified): then nothing is written ('own').
 * A proof in flight is replaced (the previous link and code stop working).
 */
export async function insertProofWithMail(db: Db, proof: NewProof): Promise<'sent' | 'own'> {
  const row = await db.one<{ sent: boolean }>(sql`
    with own as (
      select 1 from visitors where id = ${proof.visitorId}::uuid and email = ${proof.email}
      union all
      select 1 from visitor_emails where visitor_id = ${proof.visitorId}::uuid and email = ${proof.email} and verified_at is not null
    ),
    proof as (
      insert into visitor_emails (id, tenant_id, visitor_id, email, added_at, token_hash, code_hash, secret_id, code_attempts, proof_expires_at)
      select ${proof.id}::uuid, ${proof.tenantId}::uuid, ${proof.visitorId}::uuid, ${proof.email}, ${proof.now}, ${proof.tokenHash},
             ${proof.codeHash}, ${proof.secretId}, 0, ${proof.expiresAt}
      where not exists (select 1 from own)
      on conflict (visitor_id, email) do update
        set token_hash = excluded.token_hash, code_hash = excluded.code_hash, secret_id = excluded.secret_id,
            code_attempts = 0, proof_expires_at = excluded.proof_expires_at
        where visitor_emails.verified_at is null
      returning id
    ),
    audit as (${auditInsert(sql`
      select ${proof.tenantId}::uuid, ${proof.visitorId}::uuid, null::uuid, ${proof.requestId}, 'email_added', 'visitor',
             jsonb_build_object('addressId', proof.id), ${proof.now}
      from proof`)}),
    mail as (${outboxInsert(sql`
      select ${proof.outboxId}::uuid, ${proof.tenantId}::uuid, null::uuid, 'visitor_email', ${proof.email}, ${proof.messageId},
             ${proof.secretId}, ${proof.sealedPayload}, ${proof.requestId}, ${proof.now}, ${proof.now}
      from proof`)})
    select exists (select 1 from proof) as sent`);
  return row!.sent ? 'sent' : 'own';
}

export type ProofRow = VisitorEmailRow & { code_hash: string | null; secret_id: string | null; code_attempts: number };

/** The unverified address a link token's hash points at (any tenant: the caller checks). */
export async function findProofByTokenHash(db: Db, tokenHash: string): Promise<ProofRow | undefined> {
  return db.one<ProofRow>(sql`
    select ${ROW}, code_hash, secret_id, code_attempts from visitor_emails where token_hash = ${tokenHash} and verified_at is null`);
}

/**
 * Reserves one code attempt on the visitor's unverified address BEFORE the code is compared (one
 * statement: concurrent guesses queue on the row lock). `attempt` null: none left, or no such address.
 */
export async function reserveProofAttempt(
  db: Db,
  visitorId: string,
  email: string,
  maxAttempts: number,
): Promise<{ row: ProofRow | undefined; attempt: number | null }> {
  const row = await db.one<ProofRow & { reserved: number | null }>(sql`
    with reserved as (
      update visitor_emails set code_attempts = code_attempts + 1
      where visitor_id = ${visitorId}::uuid and email = ${email} and verified_at is null and code_attempts < ${maxAttempts}
      returning id, code_attempts
    )
    select ${ROW}, code_hash, secret_id, code_attempts, (select code_attempts from reserved) as reserved
    from visitor_emails
    where visitor_id = ${visitorId}::uuid and email = ${email} and verified_at is null`);
  if (!row) return { row: undefined, attempt: null };
  const { reserved, ...proof } = row;
  return { row: proof, attempt: reserved };
}

/** Locks the unverified address for its verification (inside the merge transaction). */
export async function lockProof(db: Db, id: string): Promise<VisitorEmailRow | undefined> {
  return db.one<VisitorEmailRow>(sql`select ${ROW} from visitor_emails where id = ${id}::uuid and verified_at is null for update`);
}

/** Which other visitor of the tenant holds the address (as primary or verified), if any. */
export async function otherHolderOf(db: Db, tenantId: string, visitorId: string, email: string): Promise<string | undefined> {
  const row = await db.one<{ id: string }>(sql`
    select id from visitors where tenant_id = ${tenantId}::uuid and email = ${email} and id <> ${visitorId}::uuid
    union all
    select visitor_id from visitor_emails
    where tenant_id = ${tenantId}::uuid and email = ${email} and verified_at is not null and visitor_id <> ${visitorId}::uuid
    limit 1`);
  return row?.id;
}

/**
 * `visitors.further_emails` made equal to the visitor's verified further addresses again: run in
 * the transaction of every change of them (verify, remove, merge, primary change and its revert).
 */
export async function syncFurtherEmails(db: Db, visitorId: string): Promise<void> {
  await db.many(sql`
    update visitors
    set further_emails = coalesce((select array_agg(email order by email) from visitor_emails
                                   where visitor_id = ${visitorId}::uuid and verified_at is not null), '{}')
    where id = ${visitorId}::uuid`);
}

/** The proof succeeded: the address counts from now; its link and code are gone. */
export async function markVerified(db: Db, id: string, now: Date): Promise<void> {
  await db.many(sql`
    update visitor_emails set verified_at = ${now}, token_hash = null, code_hash = null, secret_id = null, proof_expires_at = null
    where id = ${id}::uuid`);
}

/**
 * A merge's part of this table: the absorbed visitor's addresses become the survivor's (an address
 * both had unverified stays the survivor's), and its primary joins them, verified.
 */
export async function moveAddresses(
  db: Db,
  merge: { from: string; into: string; tenantId: string; fromEmail: string; id: string; now: Date },
): Promise<void> {
  await db.many(sql`
    delete from visitor_emails
    where visitor_id = ${merge.from}::uuid and verified_at is null
      and (email in (select email from visitor_emails where visitor_id = ${merge.into}::uuid)
           or email = (select email from visitors where id = ${merge.into}::uuid))`);
  await db.many(sql`
    delete from visitor_emails
    where visitor_id = ${merge.into}::uuid and verified_at is null
      and (email = ${merge.fromEmail} or email in (select email from visitor_emails where visitor_id = ${merge.from}::uuid))`);
  await db.many(sql`update visitor_emails set visitor_id = ${merge.into}::uuid where visitor_id = ${merge.from}::uuid`);
  await db.many(sql`update visitor_email_changes set visitor_id = ${merge.into}::uuid where visitor_id = ${merge.from}::uuid`);
  await db.many(sql`
    insert into visitor_emails (id, tenant_id, visitor_id, email, added_at, verified_at)
    values (${merge.id}::uuid, ${merge.tenantId}::uuid, ${merge.into}::uuid, ${merge.fromEmail}, ${merge.now}, ${merge.now})`);
}

/** Removes a further address of the visitor (verified or not); false when it has none such. */
export async function deleteAddress(db: Db, visitorId: string, email: string): Promise<boolean> {
  const rows = await db.many(sql`delete from visitor_emails where visitor_id = ${visitorId}::uuid and email = ${email} returning id`);
  return rows.length > 0;
}

/**
 * Swaps the primary address with a verified further one (the old primary becomes a verified further
 * address) and records the change with its revert link's hash. Undefined when `email` is not a
 * verified further address of the visitor.
 */
export async function swapPrimary(
  db: Db,
  change: { id: string; visitorId: string; email: string; tokenHash: string; requestId: string; now: Date; expiresAt: Date },
): Promise<{ oldEmail: string; tenantId: string } | undefined> {
  const row = await db.one<{ old_email: string; tenant_id: string }>(sql`
    with target as (
      select e.id, e.tenant_id, v.email as old_email
      from visitor_emails e join visitors v on v.id = e.visitor_id
      where e.visitor_id = ${change.visitorId}::uuid and e.email = ${change.email} and e.verified_at is not null
      for update
    ),
    further as (update visitor_emails e set email = target.old_email from target where e.id = target.id returning e.id),
    primary_email as (update visitors v set email = ${change.email} from target where v.id = ${change.visitorId}::uuid returning v.id),
    change as (
      insert into visitor_email_changes (id, tenant_id, visitor_id, old_email, new_email, token_hash, request_id, created_at, expires_at)
      select ${change.id}::uuid, target.tenant_id, ${change.visitorId}::uuid, target.old_email, ${change.email}, ${change.tokenHash},
             ${change.requestId}, ${change.now}, ${change.expiresAt}
      from target
      returning id
    )
    select old_email, tenant_id from target`);
  return row ? { oldEmail: row.old_email, tenantId: row.tenant_id } : undefined;
}

export type EmailChangeRow = {
  id: string;
  tenant_id: string;
  visitor_id: string;
  old_email: string;
  new_email: string;
  created_at: Date;
  expires_at: Date;
  reverted_at: Date | null;
};

const CHANGE = sql`id, tenant_id, visitor_id, old_email, new_email, created_at, expires_at, reverted_at`;

/** Every primary change of a visitor, oldest first (export and erasure read this too: it holds addresses). */
export async function visitorEmailChangeRows(db: Db, visitorId: string): Promise<EmailChangeRow[]> {
  return db.many<EmailChangeRow>(
    sql`select ${CHANGE} from visitor_email_changes where visitor_id = ${visitorId}::uuid order by created_at`,
  );
}

export async function findChangeByTokenHash(db: Db, tokenHash: string): Promise<EmailChangeRow | undefined> {
  return db.one<EmailChangeRow>(sql`select ${CHANGE} from visitor_email_changes where token_hash = ${tokenHash}`);
}

/**
 * "This wasn't me": the change is reverted once (within its 7 days): the old address is primary
 * again, and the address the change made primary leaves the visitor (whoever made the change
 * proved it, so it must not sign in here any more). Undefined: already reverted, or expired.
 */
export async function revertChange(db: Db, id: string, now: Date): Promise<{ visitorId: string; tenantId: string } | undefined> {
  const row = await db.one<{ visitor_id: string; tenant_id: string }>(sql`
    with reverted as (
      update visitor_email_changes set reverted_at = ${now}
      where id = ${id}::uuid and reverted_at is null and expires_at > ${now}
      returning tenant_id, visitor_id, old_email, new_email
    ),
    dropped as (
      delete from visitor_emails e using reverted
      where e.visitor_id = reverted.visitor_id and e.email in (reverted.old_email, reverted.new_email)
      returning e.id
    ),
    primary_email as (update visitors v set email = reverted.old_email from reverted where v.id = reverted.visitor_id returning v.id)
    select visitor_id, tenant_id from reverted`);
  return row ? { visitorId: row.visitor_id, tenantId: row.tenant_id } : undefined;
}

/** One mail of this feature's kinds in the outbox (the primary change's notice, in the change's transaction). */
export async function insertOutboxMail(
  db: Db,
  mail: {
    id: string;
    tenantId: string;
    kind: string;
    to: string;
    messageId: string;
    secretId: string;
    sealedPayload: string;
    requestId: string;
    now: Date;
  },
): Promise<void> {
  await db.many(
    outboxInsert(sql`
    select ${mail.id}::uuid, ${mail.tenantId}::uuid, null::uuid, ${mail.kind}, ${mail.to}, ${mail.messageId}, ${mail.secretId},
           ${mail.sealedPayload}, ${mail.requestId}, ${mail.now}::timestamptz, ${mail.now}::timestamptz`),
  );
}
