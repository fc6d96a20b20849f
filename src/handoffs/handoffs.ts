// Checkout handoffs: a storefront's one-use link that takes a buyer from checkout (or the receipt)
// to what they bought without a mail round trip. Opening it gives an ORDER-SCOPED session: the
// address typed at checkout is not verified, so the link opens that order's grants and nothing
// else of the address's until the buyer proves the address (step-up: a sign-in link or code).
import { endOrderGrants } from '../access/grants.ts';
import { recordAudit } from '../audit/audit.ts';
import { addSeconds, type Clock } from '../clock.ts';
import type { Db } from '../db/db.ts';
import { mintNewSession, revokeOrderSessions } from '../sessions/sessions.ts';
import type { Tenant } from '../tenants/tenants.ts';
import type { KeyRing } from '../tokens/keys.ts';
import { hashToken, mintToken, verifyToken } from '../tokens/tokens.ts';
import {
  consumeHandoffIntoSession,
  findHandoffById,
  findHandoffByTokenHash,
  insertHandoff,
  revokeOrderHandoffs,
  useHandoffByHeldSession,
  type ConsumedHandoff,
  type HandoffRow,
} from './queries.ts';

// What other features may read (the console): the handoffs feature owns `handoffs`.
export { deleteExpiredHandoffsBefore, listVisitorHandoffs, moveHandoffs, type HandoffRow } from './queries.ts';

/** Where a handoff points (after the storefront's origin), followed by the token. */
export const HANDOFF_PATH = '/_edge/visitor/access/h/';
/** What a storefront may ask for (HANDOFF_TTL, default 30 minutes, when it names none): up to 7 days (a receipt's link). */
export const HANDOFF_MIN_TTL_SECONDS = 60;
export const HANDOFF_MAX_TTL_SECONDS = 7 * 24 * 3600;

export type HandoffDeps = { db: Db; keys: KeyRing; clock: Clock };

export async function createHandoff(
  deps: HandoffDeps,
  input: {
    tenant: Tenant;
    email: string;
    orderId: string;
    returnTo: string;
    ttlSeconds: number;
    linkOrigin: string;
    requestId: string;
    actor: string;
  },
): Promise<{ url: string; expiresAt: Date; visitorId: string }> {
  const token = mintToken(deps.keys, 'vh');
  const now = deps.clock.now();
  const expiresAt = addSeconds(now, input.ttlSeconds);
  const { visitorId } = await insertHandoff(deps.db, {
    id: crypto.randomUUID(),
    tenantId: input.tenant.id,
    email: input.email,
    orderId: input.orderId,
    tokenHash: hashToken(token),
    returnTo: input.returnTo,
    expiresAt,
    requestId: input.requestId,
    actor: input.actor,
    now,
  });
  return { url: `${input.linkOrigin}${HANDOFF_PATH}${token}`, expiresAt, visitorId };
}

export type HandoffState =
  | { kind: 'valid'; handoff: HandoffRow }
  | { kind: 'invalid' }
  /** Expired, used by another browser, or its order was refunded: the buyer signs in instead. */
  | { kind: 'spent'; handoff: HandoffRow; why: 'expired' | 'used' | 'revoked' };

/** Forged or tampered tokens (and every other purpose's tokens) fail their MAC, before any query. */
export async function classifyHandoff(deps: HandoffDeps, tenant: Tenant, token: string): Promise<HandoffState> {
  if (!verifyToken(deps.keys, 'vh', token)) return { kind: 'invalid' };
  const handoff = await findHandoffByTokenHash(deps.db, hashToken(token));
  if (!handoff || handoff.tenant_id !== tenant.id) return { kind: 'invalid' };
  return stateOf(handoff, deps.clock.now());
}

function stateOf(handoff: HandoffRow, now: Date): HandoffState {
  if (handoff.used_at) return { kind: 'spent', handoff, why: 'used' };
  if (handoff.revoked_at) return { kind: 'spent', handoff, why: 'revoked' };
  if (handoff.expires_at <= now) return { kind: 'spent', handoff, why: 'expired' };
  return { kind: 'valid', handoff };
}

export type HandoffOutcome =
  | { kind: 'opened'; session: ConsumedHandoff & { token: string } }
  /** The order already has its most order-scoped sessions: the buyer signs in (step-up). */
  | { kind: 'order-full' }
  | { kind: 'spent'; state: HandoffState };

/** Consumes the handoff into an order-scoped session; when it cannot, says why. */
export async function openHandoff(
  deps: HandoffDeps,
  handoff: HandoffRow,
  context: { userAgent: string | null; ip: string; sessionTtlSeconds: number; requestId: string },
): Promise<HandoffOutcome> {
  const now = deps.clock.now();
  const { token, row } = mintNewSession(deps.keys, now, context);
  const consumed = await consumeHandoffIntoSession(deps.db, handoff.id, row);
  if (consumed) return { kind: 'opened', session: { ...consumed, token } };
  const again = await findHandoffById(deps.db, handoff.id);
  const state = again ? stateOf(again, now) : ({ kind: 'invalid' } as const);
  // Still usable, yet not consumed: the order had no room left.
  return state.kind === 'valid' ? { kind: 'order-full' } : { kind: 'spent', state };
}

/** Spends the handoff on the full session this browser already holds (it sees the order anyway). */
export function spendOnHeldSession(deps: HandoffDeps, handoff: HandoffRow, sessionId: string): Promise<boolean> {
  return useHandoffByHeldSession(deps.db, handoff.id, sessionId, deps.clock.now());
}

export type OrderRevocation = { revokedGrants: number; endedSessions: number; revokedHandoffs: number };

/**
 * A refund or chargeback, in one transaction: the order's live grants end (`grant.changed`), its
 * order-scoped sessions end (`session.revoked`), its unused handoffs stop working; audited as
 * `order_revoked` by `actor` (a credential, or an operator in the console).
 */
export function revokeOrder(
  deps: { db: Db; clock: Clock },
  input: { tenantId: string; orderId: string; actor: string; requestId: string },
): Promise<OrderRevocation> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const revokedGrants = await endOrderGrants(tx, input.tenantId, input.orderId, now, input.requestId);
    const endedSessions = await revokeOrderSessions(tx, input.tenantId, input.orderId, now, input.requestId);
    const revokedHandoffs = await revokeOrderHandoffs(tx, input.tenantId, input.orderId, now);
    await recordAudit(tx, {
      kind: 'order_revoked',
      actor: input.actor,
      requestId: input.requestId,
      tenantId: input.tenantId,
      detail: { orderId: input.orderId, revokedGrants, endedSessions, revokedHandoffs },
      at: now,
    });
    return { revokedGrants, endedSessions, revokedHandoffs };
  });
}
