// Shared pieces of the sign-in routes: link classification (noting whose link it is), audit,
// replays, limits, the bad-link pages, and the cookies the flow sets.
import type { AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { invalid } from '../http/body.ts';
import { clearHostCookie, cookieString, seeOther, setHostCookie, type CookieJar, type SetContext } from '../http/cookies.ts';
import { DIAG_COOKIE } from '../diagnostics/routes.ts';
import { assertCallerOnOwnHost, type ServerCaller } from '../credentials/caller.ts';
import { requestContext } from '../http/request-context.ts';
import type { LimitKeys } from '../limits/limiter.ts';
import type { LimitRoute, Policy } from '../limits/policies.ts';
import { visitorTenant } from '../http/visitor-tenant.ts';
import { CHECK_COOKIE, PENDING_COOKIE, SESSION_COOKIE, sessionFromToken, sessionTokenFrom } from '../sessions/sessions.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { seal } from '../tokens/sealed.ts';
import { hashToken, verifyToken } from '../tokens/tokens.ts';
import { recordAudit, type AuditKind } from '../audit/audit.ts';
import type { LinkRow } from './queries.ts';
import { recordReplay, type BadLink, type Presenter } from './confirm.ts';
import { classifyLink, linkStateError, type LinkState, type NewSessionInfo } from './magic-link.ts';
import { expiredPage, usedPage } from './pages.ts';

export const HTML = 'text/html; charset=utf-8';
export const WRONG_CODES = 'wrong-code-per-ip';
export const PENDING_SECONDS = 900;
export type Pending = { handle: string; email: string; returnTo: string };

/** Cookies of the way in: once signed in they have served their purpose (and the pending one holds the address). */
const SIGN_IN_COOKIES = [CHECK_COOKIE, PENDING_COOKIE, DIAG_COOKIE];

/** Every sign-in that sets the session cookie goes through here, so every one clears the rest. */
export function setSessionCookie(jar: CookieJar, token: string, maxAge: number): void {
  setHostCookie(jar, SESSION_COOKIE, token, maxAge);
  for (const name of SIGN_IN_COOKIES) clearHostCookie(jar, name);
}

/** After a link is requested by a browser form: remember address + returnTo (encrypted), show check-email. */
export async function toCheckEmail(keys: AppDeps['keys'], jar: CookieJar, set: SetContext, pending: Pending): Promise<string> {
  setHostCookie(jar, PENDING_COOKIE, await seal(keys, 'cookie', pending, PENDING_COOKIE), PENDING_SECONDS);
  return seeOther(set, '/_edge/visitor/check-email');
}

export function sessionBody(tenant: Tenant, session: NewSessionInfo) {
  return {
    visitor: { id: session.visitor_id, email: session.email, handle: tenant.handle },
    session: { id: session.session_id, expiresAt: session.expires_at.toISOString() },
  };
}

export type SignInHelpers = ReturnType<typeof signInHelpers>;

export function signInHelpers(deps: AppDeps) {
  const { config, keys, clock, db, logger } = deps;
  const linkDeps = { db, keys, clock, logger, outbox: deps.outbox, sessionTtlSeconds: config.sessionTtlSeconds };

  /** The test cookie lives as long as the link it tests. */
  function remainingSeconds(link: LinkRow): number {
    return link.expires_at ? Math.max(1, Math.ceil((link.expires_at.getTime() - clock.now().getTime()) / 1000)) : config.magicLinkTtlSeconds;
  }

  /** Classifies a link and notes whose it is, for the request log. */
  async function classify(request: Request, tenant: Tenant, token: string): Promise<LinkState> {
    const state = await classifyLink(linkDeps, tenant, token);
    if (state.kind !== 'invalid') Object.assign(requestContext(request, config).facts, { tenantId: tenant.id, visitorId: state.link.visitor_id });
    return state;
  }

  function audit(request: Request, tenant: Tenant, kind: AuditKind, fields: { visitorId?: string | null; sessionId?: string | null; detail?: Record<string, unknown> } = {}) {
    return recordAudit(db, { kind, actor: 'visitor', requestId: requestContext(request, config).requestId, tenantId: tenant.id, at: clock.now(), ...fields });
  }

  function presenter(request: Request): Presenter {
    const context = requestContext(request, config);
    return { requestId: context.requestId, ip: context.clientIp, userAgent: context.userAgent };
  }

  /** A used link presented to the verify API (which sends no browser on). */
  function replayed(request: Request, tenant: Tenant, state: Extract<LinkState, { kind: 'used' }>) {
    return recordReplay(linkDeps, tenant, state, presenter(request));
  }

  /** The session this browser (or bearer) holds: the one a used link may have created. */
  async function heldSessionId(request: Request, jar: CookieJar): Promise<string | null> {
    const session = await sessionFromToken(deps, sessionTokenFrom(request, cookieString(jar, SESSION_COOKIE)));
    return session?.id ?? null;
  }

  /** Renders a bad link's page (410 / 409), or throws its problem (400). */
  function badLinkPage(request: Request, set: SetContext, tenant: Tenant, state: BadLink, action: string) {
    const { requestId } = requestContext(request, config);
    if (state.kind === 'used') {
      set.status = 409;
      requestContext(request, config).facts.code = 'used_magic_link';
      set.headers['content-type'] = HTML;
      return usedPage({ tenant, requestId, usedAt: state.usedAt });
    }
    if (state.kind === 'expired') {
      set.status = 410;
      requestContext(request, config).facts.code = 'expired_magic_link';
      set.headers['content-type'] = HTML;
      return expiredPage({ tenant, requestId, reissueAction: `${action}/reissue`, expiredAt: state.expiredAt });
    }
    throw linkStateError(state);
  }

  /** Counts the request against the route's limits; the RateLimit headers go on whatever answer follows. */
  async function enforceLimits(request: Request, route: LimitRoute, tenant: Tenant, keys: LimitKeys, count?: (policy: Policy) => boolean) {
    const limits = await deps.limiter.hit(route, tenant.id, keys, count);
    Object.assign(requestContext(request, config).responseHeaders, limits.headers);
    if (limits.blocking) throw deps.limiter.refusal(limits.blocking);
    return limits;
  }

  /**
   * The link page's limits, per client IP and per link. Only for a token whose HMAC tag holds: a
   * forged one is refused before any query (and writes nothing), so it needs no counter.
   */
  async function enforceLinkLimits(request: Request, tenant: Tenant, token: string) {
    if (!verifyToken(keys, 'vml', token)) return;
    await enforceLimits(request, 'link', tenant, { ip: requestContext(request, config).clientIp, link: hashToken(token) });
  }

  /** The tenant a server caller asks for: its own, and only on its own host or the service's. */
  async function serverTenant(caller: ServerCaller, handle: string | undefined, request: Request): Promise<Tenant> {
    await assertCallerOnOwnHost(deps, request, caller);
    if (!caller.scopes.has('visitor:write') || !caller.tenantId) {
      throw new AppError('insufficient_scope', { detail: 'Requesting sign-in links needs the visitor:write scope.', fields: { requiredScope: 'visitor:write' } });
    }
    const tenant = await deps.tenants.forId(caller.tenantId);
    if (!tenant) throw new AppError('unauthorized', { detail: 'The credential belongs to no storefront.' });
    if (handle !== undefined && handle !== tenant.handle) throw new AppError('wrong_tenant', { detail: `This credential belongs to the storefront "${tenant.handle}".` });
    return tenant;
  }

  async function linkTenant(request: Request) {
    const context = requestContext(request, config);
    return (await visitorTenant(deps.tenants, context, undefined).catch(() => null))?.tenant ?? null;
  }

  return { linkDeps, remainingSeconds, classify, audit, replayed, presenter, heldSessionId, badLinkPage, enforceLimits, enforceLinkLimits, serverTenant, linkTenant };
}
