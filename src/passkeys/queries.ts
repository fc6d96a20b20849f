// Every SQL statement that writes `passkeys` and `passkey_challenges` (and the passkeys feature's
// reads). The passkey sign-in is one statement: challenge already spent, counter moved on, session,
// audit row and webhook event together.
import { auditInsert } from '../audit/audit.ts';
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { type NewSessionRow, sessionInsert } from '../sessions/sessions.ts';
import { webhookEventInsert } from '../webhooks/events.ts';

export type ChallengePurpose = 'registration' | 'authentication';

export type PasskeyRow = {
  id: string;
  tenant_id: string;
  visitor_id: string;
  rp_id: string;
  credential_id: string;
  public_key: string;
  sign_count: number;
  transports: string[];
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  user_verified: boolean;
  aaguid: string | null;
  created_at: Date;
  last_used_at: Date | null;
  removed_at: Date | null;
  removed_by: string | null;
};

const PASSKEY_COLUMNS = sql`p.id, p.tenant_id, p.visitor_id, p.rp_id, p.credential_id, p.public_key, p.sign_count::int as sign_count,
  p.transports, p.device_type, p.backed_up, p.user_verified, p.aaguid, p.created_at, p.last_used_at, p.removed_at, p.removed_by`;

/** A new challenge; expired ones (a few per call) are swept in the same statement so the table stays small. */
export async function insertChallenge(
  db: Db,
  challenge: {
    tenantId: string;
    rpId: string;
    purpose: ChallengePurpose;
    challengeHash: string;
    visitorId: string | null;
    sessionId: string | null;
    now: Date;
    expiresAt: Date;
  },
): Promise<void> {
  await db.many(sql`
    with swept as (
      delete from passkey_challenges
      where id in (select id from passkey_challenges where expires_at < ${challenge.now} limit 20)
    )
    insert into passkey_challenges (id, tenant_id, rp_id, purpose, challenge_hash, visitor_id, session_id, created_at, expires_at)
    values (${crypto.randomUUID()}::uuid, ${challenge.tenantId}::uuid, ${challenge.rpId}, ${challenge.purpose}, ${challenge.challengeHash},
            ${challenge.visitorId}::uuid, ${challenge.sessionId}::uuid, ${challenge.now}, ${challenge.expiresAt})`);
}

/**
 * Spends a challenge: only one that this tenant issued for this host and purpose (and, for a
 * registration, this visitor), unused and unexpired. Of concurrent verifications exactly one gets it.
 */
export async function spendChallenge(
  db: Db,
  where: { challengeHash: string; tenantId: string; rpId: string; purpose: ChallengePurpose; visitorId: string | null; now: Date },
): Promise<boolean> {
  const visitor = where.visitorId === null ? sql`` : sql`and visitor_id = ${where.visitorId}::uuid`;
  const row = await db.one<{ id: string }>(sql`
    update passkey_challenges set used_at = ${where.now}
    where challenge_hash = ${where.challengeHash} and tenant_id = ${where.tenantId}::uuid and rp_id = ${where.rpId}
      and purpose = ${where.purpose} and used_at is null and expires_at > ${where.now} ${visitor}
    returning id`);
  return row !== undefined;
}

export type NewPasskey = {
  tenantId: string;
  visitorId: string;
  rpId: string;
  credentialId: string;
  publicKey: string;
  signCount: number;
  transports: string[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  userVerified: boolean;
  aaguid: string | null;
  requestId: string;
  sessionId: string;
  now: Date;
};

/** Stores a verified credential with its audit row; undefined when this credential is already registered on this host. */
export async function insertPasskey(db: Db, passkey: NewPasskey): Promise<PasskeyRow | undefined> {
  return db.one<PasskeyRow>(sql`
    with created as (
      insert into passkeys (id, tenant_id, visitor_id, rp_id, credential_id, public_key, sign_count, transports, device_type, backed_up,
                            user_verified, aaguid, request_id, created_at)
      values (${crypto.randomUUID()}::uuid, ${passkey.tenantId}::uuid, ${passkey.visitorId}::uuid, ${passkey.rpId}, ${passkey.credentialId},
              ${passkey.publicKey}, ${passkey.signCount}, ${passkey.transports}::text[], ${passkey.deviceType}, ${passkey.backedUp},
              ${passkey.userVerified}, ${passkey.aaguid}, ${passkey.requestId}, ${passkey.now})
      on conflict (rp_id, credential_id) do nothing
      returning *
    ),
    audit as (${auditInsert(sql`
      select created.tenant_id, created.visitor_id, ${passkey.sessionId}::uuid, ${passkey.requestId}, 'passkey_registered', 'visitor',
             jsonb_build_object('passkeyId', created.id, 'rpId', created.rp_id, 'backedUp', created.backed_up), ${passkey.now}
      from created`)})
    select ${PASSKEY_COLUMNS} from created p`);
}

/** A live (not removed) passkey of this tenant for this host and credential id. */
export async function findLivePasskey(db: Db, tenantId: string, rpId: string, credentialId: string): Promise<PasskeyRow | undefined> {
  return db.one<PasskeyRow>(sql`
    select ${PASSKEY_COLUMNS} from passkeys p
    where p.rp_id = ${rpId} and p.credential_id = ${credentialId} and p.tenant_id = ${tenantId}::uuid and p.removed_at is null`);
}

/** A visitor's passkeys, newest first (`live`: without the removed ones). */
export async function listPasskeys(db: Db, visitorId: string, options: { live: boolean }): Promise<PasskeyRow[]> {
  const live = options.live ? sql`and p.removed_at is null` : sql``;
  return db.many<PasskeyRow>(sql`
    select ${PASSKEY_COLUMNS} from passkeys p
    where p.visitor_id = ${visitorId}::uuid ${live}
    order by p.created_at desc, p.id
    limit 50`);
}

/**
 * Removes one passkey of the visitor (never signs in again), with its audit row: by the shopper
 * (`actor` visitor) or support (`operator:<id>`). False when it is not theirs or already removed.
 */
export async function removePasskey(
  db: Db,
  input: { visitorId: string; passkeyId: string; actor: string; requestId: string; sessionId: string | null; now: Date },
): Promise<boolean> {
  const row = await db.one<{ id: string }>(sql`
    with removed as (
      update passkeys set removed_at = ${input.now}, removed_by = ${input.actor}
      where id = ${input.passkeyId}::uuid and visitor_id = ${input.visitorId}::uuid and removed_at is null
      returning id, tenant_id, visitor_id, rp_id
    ),
    audit as (${auditInsert(sql`
      select removed.tenant_id, removed.visitor_id, ${input.sessionId}::uuid, ${input.requestId}, 'passkey_removed', ${input.actor},
             jsonb_build_object('passkeyId', removed.id, 'rpId', removed.rp_id), ${input.now}
      from removed`)})
    select id from removed`);
  return row !== undefined;
}

export type PasskeySignIn = NewSessionRow & {
  passkey: PasskeyRow;
  /** What the verified assertion reported. */
  newSignCount: number;
  backedUp: boolean;
};

export type PasskeySessionRow = { visitor_id: string; email: string; session_id: string; expires_at: Date; created_at: Date };

/**
 * The sign-in, one statement: the passkey's counter and backup flag move on only if it is still
 * live and its counter is still the one the assertion was checked against (of two concurrent uses
 * of one signature, one wins); the session, the audit row and `visitor.signed_in` (method
 * `passkey`) come from that same row. Undefined: removed meanwhile, or lost the race.
 */
export async function signInWithPasskey(db: Db, input: PasskeySignIn): Promise<PasskeySessionRow | undefined> {
  return db.one<PasskeySessionRow>(sql`
    with used as (
      update passkeys
      set sign_count = ${input.newSignCount}, backed_up = ${input.backedUp}, last_used_at = ${input.now}
      where id = ${input.passkey.id}::uuid and removed_at is null and sign_count = ${input.passkey.sign_count}
      returning id, tenant_id, visitor_id, rp_id
    ),
    created as (
      ${sessionInsert(sql`
      select ${input.sessionId}::uuid, used.tenant_id, used.visitor_id, ${input.tokenHash}, null::uuid, ${input.now}, ${input.now},
             ${input.expiresAt}, ${input.userAgent}, ${input.ip}
      from used`)}
      returning id, visitor_id, expires_at, created_at
    ),
    audit as (${auditInsert(sql`
      select used.tenant_id, used.visitor_id, ${input.sessionId}::uuid, ${input.requestId}, 'passkey_signed_in', 'visitor',
             jsonb_build_object('passkeyId', used.id, 'rpId', used.rp_id), ${input.now}
      from used`)}),
    webhook as (${webhookEventInsert(sql`
      select used.tenant_id, 'visitor.signed_in',
             jsonb_build_object('visitorId', used.visitor_id, 'sessionId', ${input.sessionId}::uuid, 'method', 'passkey',
                                'passkeyId', used.id, 'requestId', ${input.requestId}::text),
             (select email from visitors where id = used.visitor_id), ${input.requestId}, ${input.now}
      from used`)})
    select created.visitor_id, v.email, created.id as session_id, created.expires_at, created.created_at
    from created
    join visitors v on v.id = created.visitor_id`);
}

/** Whether the visitor already has a live passkey on this host (the landing offers one only when not). */
export async function hasLivePasskey(db: Db, visitorId: string, rpId: string): Promise<boolean> {
  const row = await db.one<{ id: string }>(sql`
    select id from passkeys where visitor_id = ${visitorId}::uuid and rp_id = ${rpId} and removed_at is null limit 1`);
  return row !== undefined;
}

/** One passkey (removed ones too) with the address of its shopper: for support's confirmations and checks. */
export async function findPasskey(db: Db, passkeyId: string): Promise<(PasskeyRow & { email: string }) | undefined> {
  return db.one<PasskeyRow & { email: string }>(sql`
    select ${PASSKEY_COLUMNS}, v.email from passkeys p join visitors v on v.id = p.visitor_id
    where p.id = ${passkeyId}::uuid`);
}

/** Retention: deletes up to `limit` passkey challenges that expired before `before`; returns how many. */
export async function deleteExpiredChallengesBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from passkey_challenges where ctid = any(array(
      select ctid from passkey_challenges where expires_at < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}

/** A merge of two visitors (visitors/addresses.ts): the absorbed one's passkeys and registration challenges become the survivor's. */
export async function movePasskeys(db: Db, from: string, into: string): Promise<void> {
  await db.many(sql`update passkeys set visitor_id = ${into}::uuid where visitor_id = ${from}::uuid`);
  await db.many(sql`update passkey_challenges set visitor_id = ${into}::uuid where visitor_id = ${from}::uuid`);
}
