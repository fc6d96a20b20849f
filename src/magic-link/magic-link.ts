// Magic-link decisions: request (token + code + outbox mail in one statement), classify, consume.
import { addSeconds, type Clock } from '../clock.ts';
import type { Db } from '../db/db.ts';
import { AppError } from '../errors.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import { hashCode, mintCode } from '../tokens/codes.ts';
import type { Locale } from '../i18n/locales.ts';
import type { Logger } from '../log.ts';
import type { KeyRing } from '../tokens/keys.ts';
import { seal } from '../tokens/sealed.ts';
import { hashToken, mintToken, verifyToken } from '../tokens/tokens.ts';
import type { Tenant } from '../tenants/tenants.ts';
import {
  consumeLinkIntoSession,
  findLinkById,
  findLinkByTokenHash,
  insertLinkWithMail,
  type ConsumedRow,
  type LinkRow,
  type NewLink,
} from './queries.ts';
import { linkBatchOf } from './request-batch.ts';
import type { NewPending } from './pending-queries.ts';

// What other features may read (the console): the magic-link feature owns `magic_links`.
export {
  deleteUnusedLinksBefore,
  deleteUsedLinksBefore,
  findNewestLinkForEmail,
  listVisitorLinks,
  moveLinks,
  type LinkRow,
  type LinkViewRow,
} from './queries.ts';
export { movePendingSignIns } from './pending-queries.ts';

export type MagicLinkDeps = { db: Db; keys: KeyRing; clock: Clock; outbox: MailOutbox; sessionTtlSeconds: number; logger?: Logger };

/**
 * Whose links these are: a shopper's (`vml_` link, `vs_` session) or the console's (`vcl_`, `vcs_`).
 * The purpose is bound into each token's MAC, so one purpose's token is invalid at the other's pages.
 */
export type LinkPurpose = 'shopper' | 'console';
const LINK_PREFIX = { shopper: 'vml', console: 'vcl' } as const;
const SESSION_PREFIX = { shopper: 'vs', console: 'vcs' } as const;

/** Where a shopper's link points (after its origin); the console's links point elsewhere. */
export const VISITOR_LINK_PATH = '/_edge/visitor/access/t/';

/**
 * What the outbox worker needs to write the mail; sealed at rest, wiped once sent. `linkPath`
 * (default VISITOR_LINK_PATH) is followed by the token; `code` is null when the mail offers none;
 * `locale`: the mail's language, the one the asking request was answered in (absent: English).
 */
export type MagicLinkPayload = { token: string; code: string | null; linkOrigin: string; linkPath?: string; locale?: Locale };

type LinkRequest = {
  tenant: Tenant;
  email: string;
  returnTo: string;
  linkOrigin: string;
  requestId: string;
  /** The page that consumes the link (default: the shopper's link page). */
  linkPath?: string;
  /** false: the mail carries no code (the console has no code form). Default true. */
  mailCode?: boolean;
  /** The mail's language: the asking request's (default: the tenant's default). */
  locale?: Locale;
  /** Who asked, for the audit trail (default `visitor`; an operator re-sending: `operator:<id>`). */
  actor?: string;
  /** The asking browser's pending sign-in (pending.ts), written with the link. */
  pending?: NewPending;
  /** Default `shopper`. */
  purpose?: LinkPurpose;
  /** Written with the other batched requests of this event-loop turn, in one statement (request-batch.ts). */
  batch?: boolean;
};

/** The link's rows: its token and code (only their hashes), the mail's sealed payload. */
async function newLink(deps: MagicLinkDeps, input: LinkRequest): Promise<NewLink> {
  const token = mintToken(deps.keys, LINK_PREFIX[input.purpose ?? 'shopper']);
  const code = mintCode();
  const { hash: codeHash, secretId } = hashCode(deps.keys, input.tenant.id, input.email, code);
  const messageId = `<${crypto.randomUUID()}@visitor-access>`;
  const payload: MagicLinkPayload = {
    token,
    code: input.mailCode === false ? null : code,
    linkOrigin: input.linkOrigin,
    ...(input.linkPath ? { linkPath: input.linkPath } : {}),
    locale: input.locale ?? input.tenant.locale,
  };
  return {
    linkId: crypto.randomUUID(),
    outboxId: crypto.randomUUID(),
    tenantId: input.tenant.id,
    email: input.email,
    tokenHash: hashToken(token),
    codeHash,
    secretId,
    returnTo: input.returnTo,
    requestId: input.requestId,
    actor: input.actor ?? 'visitor',
    messageId,
    sealedPayload: await seal(deps.keys, 'outbox', payload, messageId),
    ...(input.pending ? { pending: input.pending } : {}),
    now: deps.clock.now(),
  };
}

export async function requestMagicLink(deps: MagicLinkDeps, input: LinkRequest): Promise<{ visitorId: string }> {
  // Not awaited before joining a batch: the request joins this turn's batch before its first await,
  // and the batch waits for every link (its payload sealed) before writing them.
  const link = newLink(deps, input);
  const result = input.batch ? await linkBatchOf(deps.db, deps.logger).insert(link) : await insertLinkWithMail(deps.db, await link);
  deps.outbox.wake();
  return result;
}

export type LinkState =
  | { kind: 'valid'; link: LinkRow }
  | { kind: 'invalid' }
  | { kind: 'expired'; link: LinkRow; expiredAt: Date }
  | { kind: 'used'; link: LinkRow; usedAt: Date };

/** Forged or tampered tokens are rejected by their HMAC tag, before any query. */
export async function classifyLink(
  deps: MagicLinkDeps,
  tenant: Tenant,
  token: string,
  purpose: LinkPurpose = 'shopper',
): Promise<LinkState> {
  if (!verifyToken(deps.keys, LINK_PREFIX[purpose], token)) return { kind: 'invalid' };
  const link = await findLinkByTokenHash(deps.db, hashToken(token));
  // Another tenant's link is simply not a link here.
  if (!link || link.tenant_id !== tenant.id) return { kind: 'invalid' };
  return stateOf(link, deps.clock.now());
}

export function stateOf(link: LinkRow, now: Date): LinkState {
  if (link.used_at) return { kind: 'used', link, usedAt: link.used_at };
  // Not yet marked sent (SMTP may have just accepted it): still valid; validity starts at sending.
  if (link.expires_at && link.expires_at <= now) return { kind: 'expired', link, expiredAt: link.expires_at };
  return { kind: 'valid', link };
}

export function linkStateError(state: Exclude<LinkState, { kind: 'valid' }>, reissueHref?: string): AppError {
  switch (state.kind) {
    case 'invalid':
      return new AppError('invalid_magic_link', { detail: 'This sign-in link is not valid. Request a new one.' });
    case 'expired':
      return new AppError('expired_magic_link', {
        detail: 'This sign-in link has expired. Request a fresh one — it is sent to the same address.',
        fields: {
          expiredAt: state.expiredAt.toISOString(),
          ...(reissueHref ? { reissue: { method: 'POST', href: reissueHref } } : {}),
        },
      });
    case 'used':
      return new AppError('used_magic_link', {
        detail: `This sign-in link was already used at ${state.usedAt.toISOString()}. Links work once; request a new one if you need to sign in again.`,
        fields: { usedAt: state.usedAt.toISOString() },
      });
  }
}

export type NewSessionInfo = ConsumedRow & { token: string };

/** Consumes the link and creates the session atomically; when it loses a race, says why. */
export async function consumeLink(
  deps: MagicLinkDeps,
  link: LinkRow,
  context: {
    userAgent: string | null;
    ip: string;
    sessionTtlSeconds: number;
    requestId: string;
    via: 'link' | 'code';
    maxCodeAttempts?: number;
    /** Default `shopper`: the session token's purpose follows the link's. */
    purpose?: LinkPurpose;
  },
): Promise<{ ok: true; session: NewSessionInfo } | { ok: false; state: LinkState }> {
  const now = deps.clock.now();
  const token = mintToken(deps.keys, SESSION_PREFIX[context.purpose ?? 'shopper']);
  const consumed = await consumeLinkIntoSession(
    deps.db,
    { linkId: link.id, ...(context.maxCodeAttempts === undefined ? {} : { maxCodeAttempts: context.maxCodeAttempts }) },
    {
      sessionId: crypto.randomUUID(),
      requestId: context.requestId,
      via: context.via,
      tokenHash: hashToken(token),
      expiresAt: addSeconds(now, context.sessionTtlSeconds),
      userAgent: context.userAgent?.slice(0, 512) ?? null,
      ip: context.ip,
      now,
    },
  );
  if (consumed) return { ok: true, session: { ...consumed, token } };
  // Lost the race (or it expired meanwhile): read again to say why.
  const again = await findLinkById(deps.db, link.id);
  return { ok: false, state: again ? stateOf(again, now) : { kind: 'invalid' } };
}

const REISSUE_WINDOW_SECONDS = 24 * 3600;

/**
 * The expired, never-used link a fresh one may replace (the email was delayed past its validity):
 * only within a day of the original request. Anything else is refused with its own state.
 */
export async function linkToReissue(deps: MagicLinkDeps, tenant: Tenant, token: string): Promise<LinkRow> {
  const state = await classifyLink(deps, tenant, token);
  if (state.kind === 'valid') {
    throw new AppError('link_still_valid', { detail: 'This sign-in link still works: open it and press Continue.' });
  }
  if (state.kind !== 'expired') throw linkStateError(state);
  const age = deps.clock.now().getTime() - state.link.created_at.getTime();
  if (age > REISSUE_WINDOW_SECONDS * 1000) throw linkStateError(state); // too old: no reissue offer
  return state.link;
}
