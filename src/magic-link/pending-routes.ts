// The waiting side of "sign in where you started": GET /v2/visitor/auth/pending (held up to
// PENDING_HOLD_SECONDS while nothing happened) and the check-email page's one script. The same
// check serves the page itself, so a reload without JavaScript finishes the sign-in too.
import { Elysia, t } from 'elysia';
import { sessionTtlFor, type AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { cookieString, type CookieJar } from '../http/cookies.ts';
import { operation, PUBLIC } from '../openapi/schemas.ts';
import { type RouteContext, routeContext } from '../route-context.ts';
import { PENDING_COOKIE } from '../sessions/sessions.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { unseal } from '../tokens/sealed.ts';
import { hashToken } from '../tokens/tokens.ts';
import { linkDepsOf } from './link-state.ts';
import { claimPending, findPending, PendingWakeups, pendingStateOf, type PendingRow } from './pending.ts';
import { PENDING_SCRIPT } from './pending-script.ts';
import { setSessionCookie, type Pending } from './sign-in-cookies.ts';

/** How often a held poll looks at the database (an answer given on another instance). */
const POLL_CHECK_MS = 2000;

export const PENDING_POLL_PATH = '/v2/visitor/auth/pending';
/** The idle timeout a server gives a held poll: above the longest hold (25 s). */
export const PENDING_POLL_IDLE_SECONDS = 35;

export type PendingCheck =
  /** This browser has no pending sign-in this service knows (at this storefront). */
  | { kind: 'none' }
  | { kind: 'waiting'; pending: PendingRow }
  /** Signed in: the session cookie was set by this answer, or this browser already holds it. */
  | { kind: 'signed_in'; returnTo: string }
  | { kind: 'rejected'; pending: PendingRow }
  | { kind: 'ended'; pending: PendingRow };

/** This browser's pending cookie, whatever storefront it is for (null: none, or not ours). */
export async function pendingCookie(keys: AppDeps['keys'], jar: CookieJar): Promise<Pending | null> {
  const sealed = cookieString(jar, PENDING_COOKIE);
  return sealed ? await unseal<Pending>(keys, 'cookie', sealed, PENDING_COOKIE) : null;
}

/** One look at this browser's pending sign-in; an approved one is claimed here (the session cookie set). */
export function pendingChecker(deps: AppDeps) {
  const linkDeps = linkDepsOf(deps);
  return async function check(ctx: RouteContext, jar: CookieJar, tenant: Tenant, cookie: Pending | null): Promise<PendingCheck> {
    if (!cookie?.id || cookie.handle !== tenant.handle) return { kind: 'none' };
    const pending = await findPending(linkDeps, tenant, cookie.id);
    if (!pending) return { kind: 'none' };
    Object.assign(ctx.facts, { tenantId: tenant.id, visitorId: pending.visitor_id });
    const state = pendingStateOf(pending, deps.clock.now());
    switch (state.kind) {
      case 'waiting':
      case 'rejected':
      case 'ended':
        return state;
      case 'approved': {
        const ttl = sessionTtlFor(deps, tenant);
        const claimed = await claimPending(linkDeps, pending, {
          sessionTtlSeconds: ttl,
          requestId: ctx.requestId,
          ip: ctx.clientIp,
          userAgent: ctx.userAgent,
        });
        if (!claimed) return heldOrEnded(ctx, (await findPending(linkDeps, tenant, cookie.id)) ?? pending);
        ctx.facts.sessionId = claimed.session_id;
        setSessionCookie(jar, claimed.token, ttl);
        deps.logger.info('signed in by approval from another device', {
          requestId: ctx.requestId,
          tenant: tenant.handle,
          visitorId: claimed.visitor_id,
        });
        return { kind: 'signed_in', returnTo: claimed.return_to };
      }
      case 'signed_in':
        return heldOrEnded(ctx, pending);
    }
  };
}

/**
 * Already claimed: once. The browser holding that session (another tab that polled first) is told
 * it is signed in; anyone else presenting the same pending id gets nothing.
 */
async function heldOrEnded(ctx: RouteContext, pending: PendingRow): Promise<PendingCheck> {
  if (pending.status !== 'signed_in') return { kind: 'ended', pending };
  const held = await ctx.presentedSession();
  if (held && held.id === pending.session_id && pending.return_to) return { kind: 'signed_in', returnTo: pending.return_to };
  return { kind: 'ended', pending };
}

const WAKEUPS = new WeakMap<AppDeps, PendingWakeups>();

/** The app's held polls (one set per app: its link page wakes them, its poll route holds them). */
export function wakeupsOf(deps: AppDeps): PendingWakeups {
  let wakeups = WAKEUPS.get(deps);
  if (!wakeups) {
    wakeups = new PendingWakeups();
    WAKEUPS.set(deps, wakeups);
  }
  return wakeups;
}

/**
 * For an entry point's graceful stop: held polls answer now (`waiting`; the page asks again, and
 * reaches another instance) instead of keeping the stop waiting for up to PENDING_HOLD_SECONDS.
 */
export function releaseHeldPolls(deps: AppDeps): void {
  wakeupsOf(deps).close();
}

export function pendingRoutes(deps: AppDeps, wakeups: PendingWakeups) {
  const check = pendingChecker(deps);
  return new Elysia({ name: 'magic-link-pending' })
    .use(routeContext(deps))
    .get(
      PENDING_POLL_PATH,
      async ({ ctx, request, set, cookie }) => {
        const jar = cookie as CookieJar;
        set.headers['cache-control'] = 'no-store';
        const sealed = await pendingCookie(deps.keys, jar);
        if (!sealed?.id) throw notPending();
        // A cookie of another storefront than this host's is not a pending sign-in here.
        const { tenant } = await ctx.visitorTenant(sealed.handle).catch((error: unknown) => {
          throw error instanceof AppError ? notPending() : error;
        });
        await ctx.enforceLimits('pending', tenant.id, { ip: ctx.clientIp, pending: hashToken(sealed.id) });
        const deadline = Date.now() + deps.config.pendingHoldSeconds * 1000;
        let outcome = await check(ctx, jar, tenant, sealed);
        while (outcome.kind === 'waiting' && Date.now() < deadline && !request.signal.aborted && !wakeups.closed) {
          await wakeups.wait(outcome.pending.id, Math.min(POLL_CHECK_MS, deadline - Date.now()), request.signal);
          outcome = await check(ctx, jar, tenant, sealed);
        }
        switch (outcome.kind) {
          case 'none':
            throw notPending();
          case 'waiting':
            return { status: 'waiting' as const };
          case 'signed_in':
            return { status: 'signed_in' as const, returnTo: outcome.returnTo };
          case 'rejected':
            throw new AppError('pending_rejected', {
              detail: 'A different number was picked on the device that opened the link, so this sign-in was stopped. Ask for a new email.',
            });
          case 'ended':
            throw new AppError('pending_expired', {
              detail: 'This sign-in can no longer finish here: its link expired or was used another way. Ask for a new email.',
            });
        }
      },
      {
        response: {
          200: t.Union([
            t.Object({ status: t.Literal('waiting') }),
            t.Object({
              status: t.Literal('signed_in'),
              returnTo: t.String({ description: 'Where to go now; the session cookie is set.' }),
            }),
          ]),
        },
        detail: operation({
          summary: 'Wait (up to 25 s) for a sign-in started in this browser to be approved on another device',
          tags: ['sign-in'],
          security: PUBLIC,
          errors: ['not_signed_in', 'pending_expired', 'pending_rejected', 'rate_limited'],
          rateLimited: true,
        }),
      },
    )
    .get(
      '/_edge/visitor/assets/pending.js',
      ({ set }) => {
        set.headers['content-type'] = 'text/javascript; charset=utf-8';
        // The page asks for it by a versioned URL (pending-script.ts), so it may be kept for good.
        set.headers['cache-control'] = 'public, max-age=31536000, immutable';
        return PENDING_SCRIPT;
      },
      {
        detail: {
          ...operation({
            summary: 'The check-email page’s one script (versioned URL, immutable)',
            tags: ['pages'],
            security: PUBLIC,
            errors: [],
          }),
          responses: { 200: { description: 'The script.', content: { 'text/javascript': { schema: { type: 'string' } } } } },
        },
      },
    );
}

function notPending(): AppError {
  return new AppError('not_signed_in', { detail: 'This browser has no pending sign-in here.' });
}
