// The one link-confirm path, for the shoppers' link page and the console's: token → classify →
// (the page's own checks) → consume → session. A used link is either the one this browser's own
// session came from (it is just sent on) or a replay, recorded once per link as a security event.
// Pages, cookies and answers stay the callers'; the decisions are made here, once.
import { recordAudit } from '../audit/audit.ts';
import { recordLinkReplay } from '../audit/security-events.ts';
import type { Logger } from '../log.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { enqueueWebhookEvent } from '../webhooks/events.ts';
import { classifyLink, consumeLink, type LinkPurpose, type LinkState, type MagicLinkDeps, type NewSessionInfo } from './magic-link.ts';
import type { LinkRow } from './queries.ts';

/** Who presents the link, for the session it may create and the replay it may be. */
export type Presenter = { requestId: string; ip: string; userAgent: string | null };

export type BadLink = Exclude<LinkState, { kind: 'valid' }>;

export type Confirmation<Answer> =
  /** A GET: the link is good and was not consumed. */
  | { kind: 'valid'; link: LinkRow }
  /** The caller's check answered instead of consuming (e.g. the browser blocks cookies); the link stays unused. */
  | { kind: 'answered'; answer: Answer }
  | { kind: 'signed-in'; link: LinkRow; session: NewSessionInfo }
  /** Used by the session this browser already holds: send it on. */
  | { kind: 'held'; link: LinkRow }
  /** Invalid, expired, or used elsewhere (the replay is recorded). */
  | { kind: 'bad'; state: BadLink };

export type ConfirmInput<Answer> = {
  tenant: Tenant;
  token: string;
  presenter: Presenter;
  /** Links this page serves (the console: its own); any other is invalid here. */
  accepts?: (link: LinkRow) => boolean;
  /** Whose tokens this page takes (default `shopper`); another purpose's token is invalid here. */
  purpose?: LinkPurpose;
  /** The id of the session this browser holds on this page, if any (asked only for a used link). */
  heldSessionId: () => Promise<string | null>;
  /** Noted for the request log once the link is known (the shoppers' page). */
  facts?: Record<string, unknown>;
  /**
   * Absent: only look (GET). Present: the consume, after this check of the valid link, which may
   * throw (CSRF, no longer an operator) or answer instead (undefined: go on and consume).
   */
  consume?: { sessionTtlSeconds: number; check: (link: LinkRow) => Promise<Answer | undefined> | Answer | undefined };
};

export async function confirmLink<Answer>(
  deps: MagicLinkDeps & { logger: Logger },
  input: ConfirmInput<Answer>,
): Promise<Confirmation<Answer>> {
  let state = await classifyLink(deps, input.tenant, input.token, input.purpose);
  if (state.kind !== 'invalid' && input.accepts && !input.accepts(state.link)) state = { kind: 'invalid' };
  if (state.kind !== 'invalid' && input.facts) Object.assign(input.facts, { tenantId: input.tenant.id, visitorId: state.link.visitor_id });
  if (state.kind !== 'valid') return settle(deps, input, state);
  if (!input.consume) return { kind: 'valid', link: state.link };
  const answer = await input.consume.check(state.link);
  if (answer !== undefined) return { kind: 'answered', answer };
  const { presenter } = input;
  const result = await consumeLink(deps, state.link, {
    userAgent: presenter.userAgent,
    ip: presenter.ip,
    sessionTtlSeconds: input.consume.sessionTtlSeconds,
    requestId: presenter.requestId,
    via: 'link',
    ...(input.purpose ? { purpose: input.purpose } : {}),
  });
  if (result.ok) return { kind: 'signed-in', link: state.link, session: result.session };
  // Lost the race, or it expired meanwhile: still valid means not consumable here.
  return settle(deps, input, result.state.kind === 'valid' ? { kind: 'invalid' } : result.state);
}

/** A link that cannot sign in: its own browser is sent on, a replay is recorded. */
async function settle(
  deps: MagicLinkDeps & { logger: Logger },
  input: ConfirmInput<unknown>,
  state: BadLink,
): Promise<Confirmation<never>> {
  if (state.kind !== 'used') return { kind: 'bad', state };
  if (state.link.used_by_session_id && (await input.heldSessionId()) === state.link.used_by_session_id)
    return { kind: 'held', link: state.link };
  await recordReplay(deps, input.tenant, state, input.presenter);
  return { kind: 'bad', state };
}

/**
 * A used link presented again (shared inbox, screenshot, forwarded mail): an audit row, the link's
 * security event and the `magic_link.replayed` webhook, in one transaction.
 */
export async function recordReplay(
  deps: MagicLinkDeps & { logger: Logger },
  tenant: Tenant,
  state: Extract<LinkState, { kind: 'used' }>,
  presenter: Presenter,
): Promise<void> {
  const now = deps.clock.now();
  const { link } = state;
  await deps.db.transaction(async (tx) => {
    await recordAudit(tx, {
      kind: 'link_replayed',
      actor: 'visitor',
      requestId: presenter.requestId,
      tenantId: tenant.id,
      visitorId: link.visitor_id,
      detail: { linkId: link.id, usedAt: state.usedAt.toISOString(), ip: presenter.ip },
      at: now,
    });
    await recordLinkReplay(tx, {
      tenantId: tenant.id,
      visitorId: link.visitor_id,
      linkId: link.id,
      usedAt: state.usedAt,
      requestId: presenter.requestId,
      ip: presenter.ip,
      userAgent: presenter.userAgent,
      now,
    });
    await enqueueWebhookEvent(tx, {
      tenantId: tenant.id,
      type: 'magic_link.replayed',
      data: { linkId: link.id, visitorId: link.visitor_id, usedAt: state.usedAt.toISOString(), requestId: presenter.requestId },
      email: link.email,
      requestId: presenter.requestId,
      at: now,
    });
  });
  deps.logger.warn('used magic link replayed', { requestId: presenter.requestId, tenant: tenant.handle, visitorId: link.visitor_id });
}
