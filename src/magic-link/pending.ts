// Pending sign-ins: "sign in where you started". The browser that asks for a link holds a pending
// sign-in (a `vps_` id, 256 bits, in its sealed cookie; the table keeps its SHA-256) and shows a
// two-digit number. The link, opened on another device, may approve it by picking that number
// among three; a wrong pick rejects it. Either way the link is used up, so one mail can do one
// thing. The waiting browser then claims its session, once (see pending-routes.ts).
import { addSeconds } from '../clock.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { hashToken, mintToken, verifyToken } from '../tokens/tokens.ts';
import type { MagicLinkDeps } from './magic-link.ts';
import {
  claimApprovedPending,
  decidePending,
  findPendingByHash,
  supersedePending,
  findWaitingPendingForLink,
  type ClaimedRow,
  type Decider,
  type NewPending,
  type PendingRow,
} from './pending-queries.ts';

export { deleteExpiredPendingBefore, listVisitorPendingSignIns, type PendingRow, type PendingViewRow } from './pending-queries.ts';

/** How long after its approval the waiting browser may still claim the session. */
export const CLAIM_SECONDS = 600;

/** A uniformly drawn integer in [min, max] from the CSPRNG (rejection sampling: no modulo bias). */
function uniform(min: number, max: number): number {
  const span = max - min + 1;
  const limit = Math.floor(256 / span) * span;
  for (;;) {
    const [byte] = crypto.getRandomValues(new Uint8Array(1));
    if (byte! < limit) return min + (byte! % span);
  }
}

/** The right number and two other two-digit numbers, in random order. */
function choicesAround(number: number): number[] {
  const choices = [number];
  while (choices.length < 3) {
    const other = uniform(10, 99);
    if (!choices.includes(other)) choices.push(other);
  }
  for (let i = choices.length - 1; i > 0; i--) {
    const j = uniform(0, i);
    [choices[i], choices[j]] = [choices[j]!, choices[i]!];
  }
  return choices;
}

export type MintedPending = { token: string; number: number; expiresAt: Date; row: NewPending };

/** A new pending sign-in for the asking browser; it lives as long as a link sent now would. */
export function mintPending(
  deps: Pick<MagicLinkDeps, 'keys' | 'clock'>,
  input: { linkTtlSeconds: number; requestId: string; ip: string; userAgent: string | null },
): MintedPending {
  const token = mintToken(deps.keys, 'vps');
  const number = uniform(10, 99);
  const expiresAt = addSeconds(deps.clock.now(), input.linkTtlSeconds);
  return {
    token,
    number,
    expiresAt,
    row: {
      pendingId: crypto.randomUUID(),
      idHash: hashToken(token),
      number,
      choices: choicesAround(number),
      requestId: input.requestId,
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 512) ?? null,
      expiresAt,
    },
  };
}

/**
 * What a pending sign-in is now. `ended`: it can no longer finish — its link expired, or was used
 * another way (the code, or "Continue here" on another device), or no mail was sent and its time
 * is up, or it was approved but not claimed in time, or its browser asked again since.
 */
export type PendingState =
  | { kind: 'waiting'; pending: PendingRow }
  | { kind: 'approved'; pending: PendingRow }
  | { kind: 'signed_in'; pending: PendingRow }
  | { kind: 'rejected'; pending: PendingRow }
  | { kind: 'ended'; pending: PendingRow };

export function pendingStateOf(pending: PendingRow, now: Date): PendingState {
  switch (pending.status) {
    case 'signed_in':
      return { kind: 'signed_in', pending };
    case 'rejected':
      return { kind: 'rejected', pending };
    case 'superseded':
      return { kind: 'ended', pending };
    case 'approved':
      return pending.decided_at && addSeconds(pending.decided_at, CLAIM_SECONDS) > now
        ? { kind: 'approved', pending }
        : { kind: 'ended', pending };
    case 'waiting': {
      if (pending.link_used_at) return { kind: 'ended', pending };
      // The link's validity starts when its mail is sent; until then, the time it was given at the start.
      const endsAt = pending.link_expires_at ?? pending.expires_at;
      return endsAt > now ? { kind: 'waiting', pending } : { kind: 'ended', pending };
    }
  }
}

/**
 * The browser asks for another link: the pending sign-in it held stops waiting, so the older
 * mail's link no longer offers a number this browser no longer shows (only "Continue here").
 */
export async function supersede(deps: MagicLinkDeps, tenant: Tenant, token: string): Promise<void> {
  if (!verifyToken(deps.keys, 'vps', token)) return;
  await supersedePending(deps.db, tenant.id, hashToken(token), deps.clock.now());
}

/** The pending sign-in behind a browser's id, at this tenant; forged ids never reach the database. */
export async function findPending(deps: MagicLinkDeps, tenant: Tenant, token: string): Promise<PendingRow | null> {
  if (!verifyToken(deps.keys, 'vps', token)) return null;
  const pending = await findPendingByHash(deps.db, hashToken(token));
  return pending && pending.tenant_id === tenant.id ? pending : null;
}

/**
 * The pending sign-in a link's page may offer to approve: still waiting, and not this browser's
 * own (`heldToken`: the id in this browser's pending cookie, if any).
 */
export async function approvablePending(deps: MagicLinkDeps, linkId: string, heldToken: string | null): Promise<PendingRow | null> {
  const pending = await findWaitingPendingForLink(deps.db, linkId);
  if (!pending || pendingStateOf(pending, deps.clock.now()).kind !== 'waiting') return null;
  if (heldToken && hashToken(heldToken) === pending.id_hash) return null;
  return pending;
}

/** The other device picked `picked`: approve (the right number) or reject. False: the link could no longer be used. */
export async function answerPending(
  deps: MagicLinkDeps,
  pending: PendingRow,
  picked: number,
  by: Decider,
): Promise<{ ok: boolean; approved: boolean }> {
  const approved = picked === pending.number;
  const ok = await decidePending(deps.db, {
    pending,
    approve: approved,
    sessionId: crypto.randomUUID(),
    picked,
    by,
    now: deps.clock.now(),
  });
  return { ok, approved };
}

/** The waiting browser takes its session; undefined when another poll took it first. */
export async function claimPending(
  deps: MagicLinkDeps,
  pending: PendingRow,
  input: { sessionTtlSeconds: number; requestId: string; ip: string; userAgent: string | null },
): Promise<(ClaimedRow & { token: string }) | undefined> {
  const now = deps.clock.now();
  const token = mintToken(deps.keys, 'vs');
  const claimed = await claimApprovedPending(deps.db, {
    pendingId: pending.id,
    approvedSince: addSeconds(now, -CLAIM_SECONDS),
    tokenHash: hashToken(token),
    expiresAt: addSeconds(now, input.sessionTtlSeconds),
    requestId: input.requestId,
    userAgent: input.userAgent,
    ip: input.ip,
    now,
  });
  return claimed && { ...claimed, token };
}

/**
 * Held polls of this process, woken the moment the other device answers here; a poll held by
 * another instance sees the answer at its next database check instead (every POLL_CHECK_MS).
 */
export class PendingWakeups {
  readonly #waiting = new Map<string, Set<() => void>>();
  #closed = false;

  /** Shutting down: no poll is held any more. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when `pendingId` is answered here, after `ms`, or when `signal` aborts — whichever is first. */
  wait(pendingId: string, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.#waiting.get(pendingId) ?? new Set<() => void>();
      this.#waiting.set(pendingId, waiters);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiting.get(pendingId) === waiters) this.#waiting.delete(pendingId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done);
      waiters.add(done);
    });
  }

  wake(pendingId: string): void {
    for (const done of [...(this.#waiting.get(pendingId) ?? [])]) done();
  }

  /** Releases every held poll now and holds none from here on (a graceful stop need not wait them out). */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#waiting.keys()]) this.wake(id);
  }
}
