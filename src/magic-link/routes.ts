// Routes of the sign-in flow: request a link, the link page (GET shows, POST consumes), verify
// (token or code), and the hosted sign-in / check-email pages.
import { Elysia, t } from 'elysia';
import { sessionTtlFor, type AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf, invalid } from '../http/body.ts';
import { cookieString, seeOther, setHostCookie, type CookieJar, type SetContext } from '../http/cookies.ts';
import { assertOriginAllowed } from '../http/csrf.ts';
import { serverCallerFrom, type ServerCaller } from '../credentials/caller.ts';
import { requestContext } from '../http/request-context.ts';
import type { LimitKeys } from '../limits/limiter.ts';
import type { LimitRoute, Policy } from '../limits/policies.ts';
import { linkOriginFor, visitorTenant } from '../http/visitor-tenant.ts';
import { CHECK_COOKIE, PENDING_COOKIE, SESSION_COOKIE, sessionFromToken, sessionTokenFrom } from '../sessions/sessions.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { seal, unseal } from '../tokens/sealed.ts';
import { maskEmail, normaliseEmail } from '../visitors/email.ts';
import { recordAudit, type AuditKind } from '../audit/audit.ts';
import { recordSecurityEvent, type LinkRow } from './queries.ts';
import { classifyLink, consumeLink, linkStateError, reissueLink, requestMagicLink, type LinkState, type NewSessionInfo } from './magic-link.ts';
import { verifyCode } from './codes.ts';
import { checkEmailPage, confirmPage, cookieBlockedPage, expiredPage, signInPage, usedPage } from './pages.ts';
import { resolveReturnTo } from './return-to.ts';

const HTML = 'text/html; charset=utf-8';
const WRONG_CODES = 'wrong-code-per-ip';
const PENDING_SECONDS = 900;
export type Pending = { handle: string; email: string; returnTo: string };

export function setSessionCookie(jar: CookieJar, token: string, maxAge: number): void {
  setHostCookie(jar, SESSION_COOKIE, token, maxAge);
}

/** After a link is requested by a browser form: remember address + returnTo (encrypted), show check-email. */
export async function toCheckEmail(keys: AppDeps['keys'], jar: CookieJar, set: SetContext, pending: Pending): Promise<string> {
  setHostCookie(jar, PENDING_COOKIE, await seal(keys, 'cookie', pending, PENDING_COOKIE), PENDING_SECONDS);
  return seeOther(set, '/_edge/visitor/check-email');
}

function sessionBody(tenant: Tenant, session: NewSessionInfo) {
  return {
    visitor: { id: session.visitor_id, email: session.email, handle: tenant.handle },
    session: { id: session.session_id, expiresAt: session.expires_at.toISOString() },
  };
}

export function magicLinkRoutes(deps: AppDeps) {
  const { config, keys, clock, db, logger } = deps;
  const linkDeps = { db, keys, clock, outbox: deps.outbox, sessionTtlSeconds: config.sessionTtlSeconds };

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

  async function replayed(request: Request, tenant: Tenant, state: Extract<LinkState, { kind: 'used' }>) {
    const context = requestContext(request, config);
    await audit(request, tenant, 'link_replayed', { visitorId: state.link.visitor_id, detail: { linkId: state.link.id, usedAt: state.usedAt.toISOString(), ip: context.clientIp } });
    // Security event: the link was presented again after use (shared inbox, screenshot, forwarded mail).
    await recordSecurityEvent(db, {
      tenantId: tenant.id,
      visitorId: state.link.visitor_id,
      kind: 'used_link_replayed',
      requestId: context.requestId,
      ip: context.clientIp,
      userAgent: context.userAgent,
      detail: { linkId: state.link.id, usedAt: state.usedAt.toISOString() },
      now: clock.now(),
    });
    logger.warn('used magic link replayed', { requestId: context.requestId, tenant: tenant.handle, visitorId: state.link.visitor_id });
  }

  /** The browser that already holds the session this token created is just sent on. */
  async function holdsSessionOf(request: Request, jar: CookieJar, state: Extract<LinkState, { kind: 'used' }>): Promise<boolean> {
    if (!state.link.used_by_session_id) return false;
    const session = await sessionFromToken(deps, sessionTokenFrom(request, cookieString(jar, SESSION_COOKIE)));
    return session?.id === state.link.used_by_session_id;
  }

  /** Renders a bad link's page (410 / 409 / 400), or the redirect for its own browser. */
  async function badLinkPage(request: Request, jar: CookieJar, set: SetContext, tenant: Tenant, state: Exclude<LinkState, { kind: 'valid' }>, action: string) {
    const { requestId } = requestContext(request, config);
    if (state.kind === 'used') {
      if (await holdsSessionOf(request, jar, state)) return seeOther(set, state.link.return_to);
      await replayed(request, tenant, state);
      set.status = 409;
      set.headers['content-type'] = HTML;
      return usedPage({ tenant, requestId, usedAt: state.usedAt });
    }
    if (state.kind === 'expired') {
      set.status = 410;
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

  async function serverTenant(caller: ServerCaller, handle: string | undefined): Promise<Tenant> {
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

  return new Elysia({ name: 'magic-link' })
    .onBeforeHandle(({ request, set }) => {
      // The link page: never leak the token by Referer, never cache, never index.
      if (new URL(request.url).pathname.startsWith('/_edge/visitor/access/t/')) {
        set.headers['referrer-policy'] = 'no-referrer';
        set.headers['cache-control'] = 'no-store';
        set.headers['x-robots-tag'] = 'noindex';
      }
    })
    .post(
      '/v2/visitor/auth/magic-link',
      async ({ request, body, set, cookie }) => {
        const context = requestContext(request, config);
        // A storefront server may ask on a shopper's behalf (right after checkout) with visitor:write.
        const server = await serverCallerFrom(deps, request);
        const tenant = server ? await serverTenant(server, body.handle) : (await visitorTenant(deps.tenants, context, body.handle)).tenant;
        const form = bodyKindOf(request) === 'form';
        if (form) assertOriginAllowed(request, tenant, config);
        const email = normaliseEmail(body.email);
        if (!email) throw new AppError('invalid_email', { detail: 'Enter a valid email address, like name@example.com.' });
        const returnTo = resolveReturnTo(body.returnTo, tenant);
        // Same work and same answer for every well-formed address: no account enumeration.
        // Server callers: per-tenant (and per-email) limits apply, per-IP ones do not.
        const limits = await enforceLimits(request, 'magic-link', tenant, { ip: server ? undefined : context.clientIp, tenant: tenant.id, email });
        if (limits.silentExceeded) {
          // Past a per-email limit: the same answer, no mail — nobody can probe or flood an address.
          await recordSecurityEvent(db, {
            tenantId: tenant.id,
            visitorId: null,
            kind: 'sign_in_mail_limit_reached',
            requestId: context.requestId,
            ip: context.clientIp,
            userAgent: context.userAgent,
            detail: { policies: limits.outcomes.filter((o) => o.policy.silent && o.exceeded).map((o) => o.policy.name) },
            now: clock.now(),
          });
          await audit(request, tenant, 'sign_in_mail_suppressed', { detail: { reason: 'per-email limit' } });
          logger.warn('per-email sign-in limit reached; no mail sent', { requestId: context.requestId, tenant: tenant.handle });
        } else {
          const { visitorId } = await requestMagicLink(linkDeps, { tenant, email, returnTo, linkOrigin: linkOriginFor(tenant, context), requestId: context.requestId });
          context.facts.visitorId = visitorId;
        }
        if (form) {
          return toCheckEmail(keys, cookie as CookieJar, set, { handle: tenant.handle, email, returnTo });
        }
        set.status = 202;
        return { status: 'sent', requestId: context.requestId };
      },
      {
        body: t.Object({
          handle: t.Optional(t.String({ maxLength: 64 })),
          email: t.String({ maxLength: 512 }),
          returnTo: t.Optional(t.String({ maxLength: 2048 })),
        }),
      },
    )
    .get('/_edge/visitor/access/t/:token', async ({ request, params, set, cookie }) => {
      const jar = cookie as CookieJar;
      const tenant = await linkTenant(request);
      if (!tenant) throw new AppError('invalid_magic_link');
      const state = await classify(request, tenant, params.token);
      const action = `/_edge/visitor/access/t/${params.token}`;
      if (state.kind !== 'valid') return badLinkPage(request, jar, set, tenant, state, action);
      // GET never consumes (mail scanners prefetch links): it shows a button and sets a test cookie.
      await audit(request, tenant, 'link_opened', { visitorId: state.link.visitor_id, detail: { linkId: state.link.id } });
      setHostCookie(jar, CHECK_COOKIE, '1', remainingSeconds(state.link));
      set.headers['content-type'] = HTML;
      return confirmPage({ tenant, requestId: requestContext(request, config).requestId, action });
    })
    .post('/_edge/visitor/access/t/:token', async ({ request, params, set, cookie }) => {
      const jar = cookie as CookieJar;
      const context = requestContext(request, config);
      const tenant = await linkTenant(request);
      if (!tenant) throw new AppError('invalid_magic_link');
      // Order matters (api.md): CSRF → token → test cookie → consume.
      assertOriginAllowed(request, tenant, config);
      const action = `/_edge/visitor/access/t/${params.token}`;
      let state = await classify(request, tenant, params.token);
      if (state.kind === 'valid') {
        if (!cookieString(jar, CHECK_COOKIE)) {
          // The token stays untouched, so the same link works once cookies are allowed.
          setHostCookie(jar, CHECK_COOKIE, '1', remainingSeconds(state.link));
          set.status = 400;
          set.headers['content-type'] = HTML;
          return cookieBlockedPage({ tenant, requestId: context.requestId, action });
        }
        const result = await consumeLink(linkDeps, state.link, { userAgent: context.userAgent, ip: context.clientIp, sessionTtlSeconds: sessionTtlFor(deps, tenant), requestId: context.requestId, via: 'link' });
        if (result.ok) {
          context.facts.sessionId = result.session.session_id;
          setSessionCookie(jar, result.session.token, sessionTtlFor(deps, tenant));
          jar[CHECK_COOKIE]!.remove();
          logger.info('signed in by link', { requestId: context.requestId, tenant: tenant.handle, visitorId: result.session.visitor_id });
          return seeOther(set, result.session.return_to);
        }
        state = result.state;
      }
      if (state.kind === 'valid') throw new AppError('invalid_magic_link');
      return badLinkPage(request, jar, set, tenant, state, action);
    })
    .post('/_edge/visitor/access/t/:token/reissue', async ({ request, params, set, cookie }) => {
      const context = requestContext(request, config);
      const tenant = await linkTenant(request);
      if (!tenant) throw new AppError('invalid_magic_link');
      if (bodyKindOf(request) === 'form') assertOriginAllowed(request, tenant, config);
      await enforceLimits(request, 'reissue', tenant, { ip: context.clientIp, tenant: tenant.id });
      const fresh = await reissueLink(linkDeps, { tenant, token: params.token, linkOrigin: linkOriginFor(tenant, context), requestId: context.requestId });
      context.facts.visitorId = fresh.visitorId;
      await audit(request, tenant, 'link_reissued', { visitorId: fresh.visitorId, detail: { expiredLinkId: fresh.expiredLinkId } });
      if (bodyKindOf(request) === 'form') {
        return toCheckEmail(keys, cookie as CookieJar, set, { handle: tenant.handle, email: fresh.email, returnTo: fresh.returnTo });
      }
      set.status = 202;
      return { status: 'sent', requestId: context.requestId };
    })
    .post(
      '/v2/visitor/auth/verify',
      async ({ request, body, set, cookie }) => {
        const jar = cookie as CookieJar;
        const context = requestContext(request, config);
        const form = bodyKindOf(request) === 'form';
        const pending = form && cookieString(jar, PENDING_COOKIE) ? await unseal<Pending>(keys, 'cookie', cookieString(jar, PENDING_COOKIE)!, PENDING_COOKIE) : null;
        const { tenant } = await visitorTenant(deps.tenants, context, body.handle ?? pending?.handle);
        if (form) assertOriginAllowed(request, tenant, config);
        const ttl = sessionTtlFor(deps, tenant);
        if (form && body.delivery !== 'bearer' && !cookieString(jar, CHECK_COOKIE)) {
          // Same rule as the link: never burn a code into a session cookie the browser will drop.
          setHostCookie(jar, CHECK_COOKIE, '1', config.magicLinkTtlSeconds);
          set.status = 400;
          set.headers['content-type'] = HTML;
          return cookieBlockedPage({ tenant, requestId: context.requestId });
        }
        // Wrong codes per IP are only read here; they are counted below when a code is wrong.
        const limits = await enforceLimits(request, 'verify', tenant, { ip: context.clientIp }, (p) => p.label !== WRONG_CODES);
        let session: NewSessionInfo;
        if (body.token !== undefined) {
          const state = await classify(request, tenant, body.token);
          if (state.kind !== 'valid') {
            if (state.kind === 'used') await replayed(request, tenant, state);
            throw linkStateError(state, `/_edge/visitor/access/t/${body.token}/reissue`);
          }
          const result = await consumeLink(linkDeps, state.link, { userAgent: context.userAgent, ip: context.clientIp, sessionTtlSeconds: ttl, requestId: context.requestId, via: 'link' });
          if (!result.ok) throw linkStateError(result.state.kind === 'valid' ? { kind: 'invalid' } : result.state);
          session = result.session;
        } else if (body.code !== undefined) {
          const email = normaliseEmail(body.email ?? pending?.email);
          if (!email) throw new AppError('invalid_email');
          const wrongCodes = limits.outcomes.find((o) => o.policy.label === WRONG_CODES);
          if (wrongCodes?.exceeded) throw deps.limiter.refusal(wrongCodes); // 429 for this IP; burns nothing
          try {
            session = await verifyCode(linkDeps, { tenant, email, code: body.code, context, sessionTtlSeconds: ttl });
          } catch (error) {
            if (error instanceof AppError && error.code === 'invalid_code') {
              const counted = await deps.limiter.hit('verify', tenant.id, { ip: context.clientIp }, (p) => p.label === WRONG_CODES);
              Object.assign(context.responseHeaders, counted.headers);
            }
            throw error;
          }
        } else {
          throw invalid('token', 'Send either token, or handle + email + code.');
        }
        Object.assign(context.facts, { visitorId: session.visitor_id, sessionId: session.session_id });
        const delivery = body.delivery ?? 'cookie';
        if (delivery === 'cookie') setSessionCookie(jar, session.token, ttl);
        logger.info('signed in by verify', { requestId: context.requestId, tenant: tenant.handle, visitorId: session.visitor_id, delivery });
        if (form) {
          jar[PENDING_COOKIE]!.remove();
          return seeOther(set, session.return_to);
        }
        return delivery === 'bearer' ? { ...sessionBody(tenant, session), sessionToken: session.token } : sessionBody(tenant, session);
      },
      {
        body: t.Object({
          token: t.Optional(t.String({ maxLength: 256 })),
          handle: t.Optional(t.String({ maxLength: 64 })),
          email: t.Optional(t.String({ maxLength: 512 })),
          code: t.Optional(t.String({ maxLength: 16 })),
          delivery: t.Optional(t.Union([t.Literal('cookie'), t.Literal('bearer')])),
        }),
      },
    )
    .get('/_edge/visitor/sign-in', async ({ request, query, set }) => {
      const context = requestContext(request, config);
      const tenant = await deps.tenants.forHost(context.hostname);
      if (!tenant) throw new AppError('not_found', { detail: 'This host is not a storefront.' });
      const returnTo = resolveReturnTo(typeof query.returnTo === 'string' ? query.returnTo : undefined, tenant, linkOriginFor(tenant, context));
      set.headers['content-type'] = HTML;
      return signInPage({ tenant, requestId: context.requestId, returnTo });
    })
    .get('/_edge/visitor/check-email', async ({ request, set, cookie }) => {
      const context = requestContext(request, config);
      const tenant = await deps.tenants.forHost(context.hostname);
      if (!tenant) throw new AppError('not_found', { detail: 'This host is not a storefront.' });
      const sealed = cookieString(cookie as CookieJar, PENDING_COOKIE);
      const pending = sealed ? await unseal<Pending>(keys, 'cookie', sealed, PENDING_COOKIE) : null;
      set.headers['content-type'] = HTML;
      const mine = pending?.handle === tenant.handle ? pending : null;
      // The code form posts back here: test now whether this browser keeps cookies.
      setHostCookie(cookie as CookieJar, CHECK_COOKIE, '1', config.magicLinkTtlSeconds);
      return checkEmailPage({ tenant, requestId: context.requestId, pending: mine && { email: mine.email, masked: maskEmail(mine.email), returnTo: mine.returnTo } });
    });
}

