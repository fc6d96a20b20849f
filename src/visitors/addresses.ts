// A buyer's several addresses (issue #20 §1–2): add one (a link and code are mailed to it), verify
// it (link page or code), list, remove, make another verified one primary (a notice with a "this
// wasn't me" link goes to the old one), and merge two visitors when an address verified for one is
// proven by the other. Grants are keyed by address, so whatever a verified address was granted
// follows the visitor (access/grants.ts, access/edge-identity.ts read `visitor_emails` through
// visitors.ts's fragments).
import { moveVisitorRecords, recordAudit } from '../audit/audit.ts';
import { addSeconds, type Clock } from '../clock.ts';
import { isUniqueViolation, type Db } from '../db/db.ts';
import { AppError } from '../errors.ts';
import { moveHandoffs } from '../handoffs/handoffs.ts';
import type { Locale } from '../i18n/locales.ts';
import { moveLinks, movePendingSignIns } from '../magic-link/magic-link.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import { movePasskeys } from '../passkeys/passkeys.ts';
import { moveVisitorSessions, revokeVisitorSessions } from '../sessions/sessions.ts';
import { moveSupportReports } from '../support/reports.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { compareCode, hashCode, mintCode } from '../tokens/codes.ts';
import type { KeyRing } from '../tokens/keys.ts';
import { seal } from '../tokens/sealed.ts';
import { hashToken, mintToken, verifyToken } from '../tokens/tokens.ts';
import {
  deleteAddress,
  findChangeByTokenHash,
  findProofByTokenHash,
  insertProofWithMail,
  lockProof,
  markVerified,
  insertOutboxMail,
  moveAddresses,
  otherHolderOf,
  reserveProofAttempt,
  revertChange,
  swapPrimary,
  syncFurtherEmails,
  visitorEmailChangeRows,
  visitorEmailRows,
  type EmailChangeRow,
  type ProofRow,
  type VisitorEmailRow,
} from './address-queries.ts';
import { CHANGE_MAIL, type AddressMailPayload } from './mail-kind.ts';
import { deleteVisitor, findVisitor, findVisitorById } from './visitors.ts';

export type { EmailChangeRow, VisitorEmailRow };

/** Every further address row of a visitor, verified or not (for export and erasure). */
export const visitorEmails = visitorEmailRows;
/** Every primary address change of a visitor, reverted or not, with both addresses (for export and erasure). */
export const visitorEmailChanges = visitorEmailChangeRows;

/** How long an added address's link and code work, from the request. */
export const ADDRESS_PROOF_SECONDS = 3600;
/** Wrong codes an added address's proof survives (then: a fresh mail). */
export const MAX_ADDRESS_CODE_ATTEMPTS = 5;
/** How long the old address's "this wasn't me" link works. */
export const REVERT_SECONDS = 7 * 24 * 3600;
/** The pages the two links open (followed by the token). */
export const ADDRESS_LINK_PATH = '/_edge/visitor/emails/t/';
export const REVERT_LINK_PATH = '/_edge/visitor/emails/revert/';

export type AddressDeps = { db: Db; keys: KeyRing; clock: Clock; outbox: MailOutbox };

export type AddressItem = { email: string; verified: boolean; primary: boolean; addedAt: string; verifiedAt: string | null };

/** The visitor's addresses: the primary first, then the further ones, oldest first. */
export async function listAddresses(db: Db, visitorId: string): Promise<AddressItem[]> {
  const visitor = await findVisitorById(db, visitorId);
  if (!visitor) return [];
  const since = visitor.created_at.toISOString();
  const further = await visitorEmailRows(db, visitorId);
  return [
    { email: visitor.email, verified: true, primary: true, addedAt: since, verifiedAt: since },
    ...further.map((row) => ({
      email: row.email,
      verified: row.verified_at !== null,
      primary: false,
      addedAt: row.added_at.toISOString(),
      verifiedAt: row.verified_at?.toISOString() ?? null,
    })),
  ];
}

/**
 * Adds an address (or renews its proof) and mails it a link and a code. 'own': it is already one of
 * the visitor's verified addresses, nothing sent. Whether another visitor holds it is not told here:
 * that is for whoever can open the mail.
 */
export async function addAddress(
  deps: AddressDeps,
  input: { tenant: Tenant; visitorId: string; email: string; linkOrigin: string; locale: Locale; requestId: string },
): Promise<'sent' | 'own'> {
  const now = deps.clock.now();
  const token = mintToken(deps.keys, 'vae');
  const code = mintCode();
  const { hash: codeHash, secretId } = hashCode(deps.keys, input.tenant.id, input.email, code);
  const messageId = `<${crypto.randomUUID()}@visitor-access>`;
  const payload: AddressMailPayload = {
    link: `${input.linkOrigin}${ADDRESS_LINK_PATH}${token}`,
    code,
    locale: input.locale,
    validForSeconds: ADDRESS_PROOF_SECONDS,
  };
  const outcome = await insertProofWithMail(deps.db, {
    id: crypto.randomUUID(),
    outboxId: crypto.randomUUID(),
    tenantId: input.tenant.id,
    visitorId: input.visitorId,
    email: input.email,
    tokenHash: hashToken(token),
    codeHash,
    secretId,
    expiresAt: addSeconds(now, ADDRESS_PROOF_SECONDS),
    messageId,
    sealedPayload: await seal(deps.keys, 'outbox', payload, messageId),
    requestId: input.requestId,
    now,
  });
  if (outcome === 'sent') deps.outbox.wake();
  return outcome;
}

export type ProofState = { kind: 'valid'; proof: ProofRow } | { kind: 'invalid' } | { kind: 'expired'; expiredAt: Date };

/** An address link's state; forged or tampered tokens are refused by their tag, before any query. */
export async function classifyAddressLink(deps: AddressDeps, tenant: Tenant, token: string): Promise<ProofState> {
  if (!verifyToken(deps.keys, 'vae', token)) return { kind: 'invalid' };
  const proof = await findProofByTokenHash(deps.db, hashToken(token));
  if (!proof || proof.tenant_id !== tenant.id) return { kind: 'invalid' };
  if (proof.proof_expires_at && proof.proof_expires_at <= deps.clock.now()) return { kind: 'expired', expiredAt: proof.proof_expires_at };
  return { kind: 'valid', proof };
}

/**
 * Whether confirming this proof merges another account (for the link page, whose reader holds the
 * address: they are told before they press the button).
 */
export async function proofMerges(deps: Pick<AddressDeps, 'db'>, proof: VisitorEmailRow): Promise<boolean> {
  return (await otherHolderOf(deps.db, proof.tenant_id, proof.visitor_id, proof.email)) !== undefined;
}

export function proofStateError(state: Exclude<ProofState, { kind: 'valid' }>): AppError {
  if (state.kind === 'expired') {
    return new AppError('expired_email_link', {
      detail: 'This address link has expired. Add the address again for a fresh one.',
      fields: { expiredAt: state.expiredAt.toISOString() },
    });
  }
  return new AppError('invalid_email_link', { detail: 'This address link is not valid. Add the address again for a new one.' });
}

export type Verified = { email: string; visitorId: string; merged: string | null };

/**
 * The proof succeeded: the address counts from now. Held by another visitor of the tenant (as its
 * primary or a verified further address), both sides have now proven it — the one who added it is
 * signed in, whoever verified it opened the mail — so the other visitor is merged into this one.
 */
async function completeProof(deps: AddressDeps, proof: VisitorEmailRow, requestId: string, actor: string): Promise<Verified> {
  return takenMeanwhile(
    deps.db.transaction(async (tx) => {
      const now = deps.clock.now();
      const row = await lockProof(tx, proof.id);
      if (!row) throw new AppError('invalid_email_link', { detail: 'This address was verified or removed meanwhile.' });
      const other = await otherHolderOf(tx, row.tenant_id, row.visitor_id, row.email);
      if (other)
        await mergeVisitors(tx, { from: other, into: row.visitor_id, tenantId: row.tenant_id, requestId, actor, now, address: row.email });
      await markVerified(tx, row.id, now);
      await syncFurtherEmails(tx, row.visitor_id);
      await recordAudit(tx, {
        kind: 'email_verified',
        actor,
        requestId,
        tenantId: row.tenant_id,
        visitorId: row.visitor_id,
        detail: { addressId: row.id, ...(other ? { merged: other } : {}) },
        at: now,
      });
      return { email: row.email, visitorId: row.visitor_id, merged: other ?? null };
    }),
  );
}

/**
 * An address another account took between the check and the write (a concurrent verification, or
 * a sign-in with an address removed meanwhile): the unique index refuses it, and the shopper is
 * told so instead of a 500.
 */
async function takenMeanwhile<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    throw new AppError('invalid_email_link', {
      detail: 'That address belongs to another account of this storefront now; nothing changed. Ask support to merge the accounts.',
    });
  }
}

/**
 * Two visitors of one tenant become one: everything of `from` (sessions, passkeys, links, pending
 * sign-ins, handoffs, audit and security rows, reports, addresses) moves to `into`, `from`'s primary
 * becomes a verified further address of `into`, and `from` goes. Its sessions stay signed in: the
 * same person proved both addresses. Run inside a transaction; audited on the survivor.
 */
export async function mergeVisitors(
  tx: Db,
  merge: { from: string; into: string; tenantId: string; requestId: string; actor: string; now: Date; address: string },
): Promise<void> {
  const absorbed = await findVisitorById(tx, merge.from);
  if (!absorbed || absorbed.tenant_id !== merge.tenantId || merge.from === merge.into) {
    throw new AppError('invalid_request', { detail: 'These visitors cannot be merged.' });
  }
  await moveAddresses(tx, {
    from: merge.from,
    into: merge.into,
    tenantId: merge.tenantId,
    fromEmail: absorbed.email,
    id: crypto.randomUUID(),
    now: merge.now,
  });
  await moveVisitorSessions(tx, merge.from, merge.into);
  await movePasskeys(tx, merge.from, merge.into);
  await moveLinks(tx, merge.from, merge.into);
  await movePendingSignIns(tx, merge.from, merge.into);
  await moveHandoffs(tx, merge.from, merge.into);
  await moveSupportReports(tx, merge.from, merge.into);
  await moveVisitorRecords(tx, merge.from, merge.into);
  await deleteVisitor(tx, merge.from);
  await syncFurtherEmails(tx, merge.into);
  await recordAudit(tx, {
    kind: 'visitors_merged',
    actor: merge.actor,
    requestId: merge.requestId,
    tenantId: merge.tenantId,
    visitorId: merge.into,
    detail: { from: merge.from, address: merge.address },
    at: merge.now,
  });
}

/**
 * Support merges two shoppers of a storefront (the console's confirmed action, naming both
 * addresses): the visitor of `other` becomes part of the visitor of `email`. Undefined when either
 * address has no visitor there, or both are the same visitor.
 */
export async function mergeShoppers(
  deps: Pick<AddressDeps, 'db' | 'clock'>,
  input: { tenantId: string; email: string; other: string; actor: string; requestId: string },
): Promise<{ into: string; from: string } | undefined> {
  return deps.db.transaction(async (tx) => {
    const into = await findVisitor(tx, input.tenantId, input.email);
    const from = await findVisitor(tx, input.tenantId, input.other);
    if (!into || !from || into.id === from.id) return undefined;
    await mergeVisitors(tx, {
      from: from.id,
      into: into.id,
      tenantId: input.tenantId,
      requestId: input.requestId,
      actor: input.actor,
      now: deps.clock.now(),
      address: input.other,
    });
    return { into: into.id, from: from.id };
  });
}

/** The link page's confirm (POST): verifies the address the token stands for. */
export async function confirmAddressLink(deps: AddressDeps, tenant: Tenant, token: string, requestId: string): Promise<Verified> {
  const state = await classifyAddressLink(deps, tenant, token);
  if (state.kind !== 'valid') throw proofStateError(state);
  return completeProof(deps, state.proof, requestId, 'visitor');
}

/** The code from the mail, entered by the signed-in visitor who added the address. */
export async function verifyAddressCode(
  deps: AddressDeps,
  input: { tenant: Tenant; visitorId: string; email: string; code: string; requestId: string },
): Promise<Verified> {
  const { row, attempt } = await reserveProofAttempt(deps.db, input.visitorId, input.email, MAX_ADDRESS_CODE_ATTEMPTS);
  if (!row) throw new AppError('email_not_found', { detail: 'No verification of that address is waiting. Add it first.' });
  // The compare runs whatever the reservation, so a spent proof costs what a live one does.
  const stored = row.code_hash && row.secret_id ? { hash: row.code_hash, secretId: row.secret_id } : null;
  const right = compareCode(deps.keys, stored, input.tenant.id, input.email, input.code.trim());
  if (attempt === null) {
    throw new AppError('code_attempts_exceeded', { detail: 'Too many wrong codes for this address. Add it again for a new code.' });
  }
  if (row.proof_expires_at && row.proof_expires_at <= deps.clock.now())
    throw proofStateError({ kind: 'expired', expiredAt: row.proof_expires_at });
  if (!right) {
    throw new AppError('invalid_code', {
      detail: 'That code is not right.',
      fields: { attemptsLeft: Math.max(0, MAX_ADDRESS_CODE_ATTEMPTS - attempt) },
    });
  }
  return completeProof(deps, row, input.requestId, 'visitor');
}

/** Removes a further address; the primary cannot go (409), another's is not found (404). */
export async function removeAddress(
  deps: AddressDeps,
  visitor: { id: string; tenantId: string; email: string },
  email: string,
  requestId: string,
): Promise<void> {
  const current = await findVisitorById(deps.db, visitor.id);
  if (current?.email === email) {
    throw new AppError('email_is_primary', { detail: 'This is your primary address. Make another verified address primary first.' });
  }
  const removed = await deps.db.transaction(async (tx) => {
    if (!(await deleteAddress(tx, visitor.id, email))) return false;
    await syncFurtherEmails(tx, visitor.id);
    return true;
  });
  if (!removed) throw new AppError('email_not_found', { detail: 'That address is not one of yours.' });
  await recordAudit(deps.db, {
    kind: 'email_removed',
    actor: 'visitor',
    requestId,
    tenantId: visitor.tenantId,
    visitorId: visitor.id,
    detail: {},
    at: deps.clock.now(),
  });
}

/**
 * Makes a verified further address primary; the old primary stays a verified further address and
 * is sent a notice with a "this wasn't me" link (7 days), written with the change in one transaction.
 */
export async function makePrimary(
  deps: AddressDeps,
  input: { tenant: Tenant; visitorId: string; email: string; linkOrigin: string; locale: Locale; requestId: string },
): Promise<void> {
  const now = deps.clock.now();
  const token = mintToken(deps.keys, 'vec');
  const messageId = `<${crypto.randomUUID()}@visitor-access>`;
  const payload: AddressMailPayload = {
    link: `${input.linkOrigin}${REVERT_LINK_PATH}${token}`,
    code: null,
    locale: input.locale,
    validForSeconds: REVERT_SECONDS,
  };
  const sealedPayload = await seal(deps.keys, 'outbox', payload, messageId);
  await takenMeanwhile(
    deps.db.transaction(async (tx) => {
      const current = await findVisitorById(tx, input.visitorId);
      if (current?.email === input.email) return; // already primary: nothing to change, nothing to mail
      const swapped = await swapPrimary(tx, {
        id: crypto.randomUUID(),
        visitorId: input.visitorId,
        email: input.email,
        tokenHash: hashToken(token),
        requestId: input.requestId,
        now,
        expiresAt: addSeconds(now, REVERT_SECONDS),
      });
      if (!swapped) {
        const rows = await visitorEmailRows(tx, input.visitorId);
        if (rows.some((row) => row.email === input.email)) {
          throw new AppError('email_not_verified', { detail: 'Only a verified address can become primary. Verify it first.' });
        }
        throw new AppError('email_not_found', { detail: 'That address is not one of yours.' });
      }
      await syncFurtherEmails(tx, input.visitorId);
      await insertOutboxMail(tx, {
        id: crypto.randomUUID(),
        tenantId: input.tenant.id,
        kind: CHANGE_MAIL,
        to: swapped.oldEmail,
        messageId,
        secretId: deps.keys.current.id,
        sealedPayload,
        requestId: input.requestId,
        now,
      });
      await recordAudit(tx, {
        kind: 'primary_email_changed',
        actor: 'visitor',
        requestId: input.requestId,
        tenantId: input.tenant.id,
        visitorId: input.visitorId,
        detail: {},
        at: now,
      });
    }),
  );
  deps.outbox.wake();
}

export type ChangeState = { kind: 'valid'; change: EmailChangeRow } | { kind: 'invalid' } | { kind: 'expired'; expiredAt: Date };

/** A "this wasn't me" link's state (a used one is invalid: it did its work once). */
export async function classifyRevertLink(deps: AddressDeps, tenant: Tenant, token: string): Promise<ChangeState> {
  if (!verifyToken(deps.keys, 'vec', token)) return { kind: 'invalid' };
  const change = await findChangeByTokenHash(deps.db, hashToken(token));
  if (!change || change.tenant_id !== tenant.id || change.reverted_at) return { kind: 'invalid' };
  if (change.expires_at <= deps.clock.now()) return { kind: 'expired', expiredAt: change.expires_at };
  return { kind: 'valid', change };
}

/** "This wasn't me" confirmed (POST): the old primary is back, the changed-to address leaves, every session ends. */
export async function revertPrimaryChange(deps: AddressDeps, tenant: Tenant, token: string, requestId: string): Promise<void> {
  const state = await classifyRevertLink(deps, tenant, token);
  if (state.kind !== 'valid') throw proofStateError(state);
  await takenMeanwhile(
    deps.db.transaction(async (tx) => {
      const now = deps.clock.now();
      const reverted = await revertChange(tx, state.change.id, now);
      if (!reverted) throw proofStateError({ kind: 'invalid' });
      await syncFurtherEmails(tx, reverted.visitorId);
      await revokeVisitorSessions(tx, reverted.visitorId, now, requestId);
      await recordAudit(tx, {
        kind: 'primary_email_reverted',
        actor: 'visitor',
        requestId,
        tenantId: reverted.tenantId,
        visitorId: reverted.visitorId,
        detail: { changeId: state.change.id },
        at: now,
      });
    }),
  );
}
