// Checkout handoffs: the storefront creates one (POST /v2/access/handoffs), the buyer opens it on the
// storefront's host (GET shows Continue, POST opens an order-scoped session), and a refund or
// chargeback ends the order (POST /v2/access/orders/{orderId}/revoke).
import { Elysia, t } from 'elysia';
import { sessionTtlFor, type AppDeps } from '../app-deps.ts';
import { recordAudit } from '../audit/audit.ts';
import type { ServerCaller } from '../credentials/caller.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf } from '../http/body.ts';
import { cookieString, seeOther, setHostCookie, type CookieJar, type SetContext } from '../http/cookies.ts';
import { assertOriginAllowed } from '../http/csrf.ts';
import { IsoTime, operation, PUBLIC, serverCaller, Text } from '../openapi/schemas.ts';
import { pageHeaders } from '../http/html.ts';
import { cookieBlockedAnswer, pageLocale } from '../magic-link/link-pages.ts';
import { confirmPage, signInHref } from '../magic-link/pages.ts';
import { resolveReturnTo } from '../magic-link/return-to.ts';
import { setSessionCookie } from '../magic-link/sign-in-cookies.ts';
import { type RouteContext, routeContext } from '../route-context.ts';
import { endSupersededOrderSession } from '../sessions/current.ts';
import { CHECK_COOKIE } from '../sessions/sessions.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { hashToken, verifyToken } from '../tokens/tokens.ts';
import { normaliseEmail } from '../visitors/email.ts';
import {
  classifyHandoff,
  createHandoff,
  HANDOFF_MAX_TTL_SECONDS,
  HANDOFF_MIN_TTL_SECONDS,
  HANDOFF_PATH,
  openHandoff,
  revokeOrder,
  spendOnHeldSession,
  type HandoffRow,
} from './handoffs.ts';

const Token = t.Object({ token: Text({ description: 'The handoff token (`vh_…`) from the link.' }) });

/** Who did it, for the audit trail: the credential (never its secret). */
const actorOf = (caller: ServerCaller) => `${caller.kind}:${caller.id}`;

export function handoffRoutes(deps: AppDeps) {
  const { config, db, keys, clock, logger } = deps;

  async function callerTenant(caller: ServerCaller & { tenantId: string }, handle: unknown): Promise<Tenant> {
    const tenant = await deps.tenants.forId(caller.tenantId);
    if (!tenant) throw new AppError('unauthorized', { detail: 'The credential belongs to no storefront.' });
    if (handle !== undefined && handle !== tenant.handle) {
      throw new AppError('wrong_tenant', { detail: `This credential belongs to the storefront "${tenant.handle}".` });
    }
    return tenant;
  }

  /** The storefront of the handoff page's host; a handoff is never opened on the service's own host. */
  async function pageTenant(ctx: RouteContext, set: SetContext, token: string): Promise<Tenant> {
    // The page holds a live credential in its URL: never leak it by Referer, never cache, never index.
    Object.assign(set.headers, { 'referrer-policy': 'no-referrer', 'cache-control': 'no-store', 'x-robots-tag': 'noindex' });
    const tenant = await ctx.hostTenant();
    if (!tenant) throw new AppError('invalid_handoff', { detail: 'Order links open on the storefront they were made for.' });
    ctx.facts.tenantId = tenant.id;
    // Limits per client IP and per link, for tokens whose MAC holds (forged ones cost no query).
    if (verifyToken(keys, 'vh', token)) {
      await ctx.enforceLimits('handoff-page', tenant.id, { ip: ctx.clientIp, link: hashToken(token) });
    }
    return tenant;
  }

  /**
   * A handoff that cannot open an order-scoped session here: the browser that already sees the
   * order is sent on; anyone else signs in with the address (the link keeps leading somewhere).
   */
  async function elsewhere(ctx: RouteContext, set: SetContext, handoff: HandoffRow): Promise<string> {
    const held = await ctx.presentedSession();
    const sees =
      held !== null &&
      held.tenant_id === handoff.tenant_id &&
      (held.id === handoff.used_by_session_id || (held.visitor_id === handoff.visitor_id && held.scope === 'full'));
    if (sees && !handoff.revoked_at) return seeOther(set, handoff.return_to);
    ctx.facts.code = 'step_up_required';
    return seeOther(set, signInHref(handoff.return_to));
  }

  async function presentedHandoff(ctx: RouteContext, tenant: Tenant, token: string) {
    const state = await classifyHandoff(deps, tenant, token);
    if (state.kind === 'invalid') throw new AppError('invalid_handoff', { detail: 'This order link is not valid.' });
    ctx.facts.visitorId = state.handoff.visitor_id;
    return state;
  }

  const checkCookieSeconds = (handoff: HandoffRow) => Math.max(1, Math.ceil((handoff.expires_at.getTime() - clock.now().getTime()) / 1000));

  return new Elysia({ name: 'handoffs' })
    .use(routeContext(deps))
    .post(
      '/v2/access/handoffs',
      async ({ ctx, request, body, set }) => {
        if (bodyKindOf(request) === 'form')
          throw new AppError('unsupported_media_type', { detail: 'Server routes take application/json.' });
        const caller = await ctx.requireCaller('handoff:write');
        const tenant = await callerTenant(caller, body.handle);
        const email = normaliseEmail(body.email);
        if (!email) throw new AppError('invalid_email', { detail: 'email must be a valid email address.' });
        const orderId = body.orderId.trim();
        if (!orderId) {
          throw new AppError('invalid_request', {
            detail: 'orderId must not be empty.',
            fields: { errors: [{ path: '/orderId', message: 'empty' }] },
          });
        }
        const returnTo = resolveReturnTo(body.returnTo, tenant);
        await ctx.enforceLimits('handoff', tenant.id, { tenant: tenant.id });
        const created = await createHandoff(deps, {
          tenant,
          email,
          orderId,
          returnTo,
          ttlSeconds: body.ttlSeconds ?? config.handoffTtlSeconds,
          linkOrigin: ctx.linkOrigin(tenant),
          requestId: ctx.requestId,
          actor: actorOf(caller),
        });
        ctx.facts.visitorId = created.visitorId;
        set.status = 201;
        return { url: created.url, expiresAt: created.expiresAt.toISOString() };
      },
      {
        body: t.Object({
          handle: t.Optional(t.String({ maxLength: 64, description: 'The storefront; must be the credential’s own when sent.' })),
          email: t.String({ maxLength: 512, description: 'The address typed at checkout (not verified).' }),
          orderId: t.String({ maxLength: 200, description: 'The order: the handoff opens the grants carrying this orderId.' }),
          returnTo: t.Optional(t.String({ maxLength: 2048, description: 'Where Continue leads; default the storefront’s home page.' })),
          ttlSeconds: t.Optional(
            t.Integer({
              minimum: HANDOFF_MIN_TTL_SECONDS,
              maximum: HANDOFF_MAX_TTL_SECONDS,
              description: 'Validity; default HANDOFF_TTL (1800).',
            }),
          ),
        }),
        response: {
          201: t.Object({
            url: t.String({ description: '`{origin}/_edge/visitor/access/h/{token}`: one use.' }),
            expiresAt: IsoTime(),
          }),
        },
        detail: operation({
          summary: 'Create a checkout handoff link: one use, opens an order-scoped session',
          tags: ['access'],
          security: serverCaller('handoff:write'),
          errors: [
            'unauthorized',
            'insufficient_scope',
            'wrong_tenant',
            'invalid_email',
            'invalid_return_to',
            'unsupported_media_type',
            'rate_limited',
            'daily_limit_reached',
          ],
          rateLimited: true,
          idempotent: true,
        }),
      },
    )
    .get(
      `${HANDOFF_PATH}:token`,
      async ({ ctx, params, set, cookie }) => {
        const tenant = await pageTenant(ctx, set, params.token);
        // GET never consumes (mail scanners and link previews fetch links): Continue, and the test cookie.
        const state = await presentedHandoff(ctx, tenant, params.token);
        if (state.kind === 'spent') return elsewhere(ctx, set, state.handoff);
        await recordAudit(db, {
          kind: 'handoff_opened',
          actor: 'visitor',
          requestId: ctx.requestId,
          tenantId: tenant.id,
          visitorId: state.handoff.visitor_id,
          detail: { handoffId: state.handoff.id, orderId: state.handoff.order_id },
          at: clock.now(),
        });
        setHostCookie(cookie as CookieJar, CHECK_COOKIE, '1', checkCookieSeconds(state.handoff));
        Object.assign(set.headers, pageHeaders(tenant));
        return confirmPage({
          tenant,
          requestId: ctx.requestId,
          locale: pageLocale(ctx, set, tenant),
          action: `${HANDOFF_PATH}${params.token}`,
        });
      },
      {
        params: Token,
        detail: operation({
          summary: 'The handoff page: a "Continue" button (never consumes the handoff)',
          tags: ['pages', 'access'],
          security: PUBLIC,
          errors: ['invalid_handoff', 'rate_limited'],
          html: { 200: 'The page.' },
          bare: { 303: 'Used, expired or revoked: to the returnTo (a browser that sees the order) or the sign-in page.' },
        }),
      },
    )
    .post(
      `${HANDOFF_PATH}:token`,
      async ({ ctx, request, params, set, cookie }) => {
        const jar = cookie as CookieJar;
        const tenant = await pageTenant(ctx, set, params.token);
        // As the sign-in link's page: CSRF → token → (a full session of the address: sent on) → test cookie → consume.
        assertOriginAllowed(request, tenant, config);
        const state = await presentedHandoff(ctx, tenant, params.token);
        if (state.kind === 'spent') return elsewhere(ctx, set, state.handoff);
        const { handoff } = state;
        const action = `${HANDOFF_PATH}${params.token}`;
        // Already signed in with the address here: an order-scoped session would only narrow what it sees.
        const held = await ctx.presentedSession();
        if (held && held.scope === 'full' && held.tenant_id === tenant.id && held.visitor_id === handoff.visitor_id) {
          if (await spendOnHeldSession(deps, handoff, held.id)) return seeOther(set, handoff.return_to);
        }
        if (!cookieString(jar, CHECK_COOKIE)) {
          // The handoff stays unused, so the same link works once cookies are allowed.
          return cookieBlockedAnswer(ctx, set, jar, tenant, { checkSeconds: checkCookieSeconds(handoff), action });
        }
        const ttl = sessionTtlFor(deps, tenant);
        const outcome = await openHandoff(deps, handoff, {
          userAgent: ctx.userAgent,
          ip: ctx.clientIp,
          sessionTtlSeconds: ttl,
          requestId: ctx.requestId,
        });
        switch (outcome.kind) {
          case 'opened':
            ctx.facts.sessionId = outcome.session.session_id;
            setSessionCookie(jar, outcome.session.token, ttl);
            // One session per browser: another order's session of the address, held here, ends.
            await endSupersededOrderSession(deps, held, handoff.visitor_id, ctx.requestId);
            logger.info('order opened by handoff', { requestId: ctx.requestId, tenant: tenant.handle, visitorId: handoff.visitor_id });
            return seeOther(set, outcome.session.return_to);
          case 'order-full':
            // The order has its most order-scoped sessions: this browser proves the address instead.
            ctx.facts.code = 'step_up_required';
            return seeOther(set, signInHref(handoff.return_to));
          case 'spent':
            if (outcome.state.kind !== 'spent') throw new AppError('invalid_handoff');
            return elsewhere(ctx, set, outcome.state.handoff);
        }
      },
      {
        params: Token,
        detail: operation({
          summary: 'Continue: open an order-scoped session and set the session cookie',
          tags: ['pages', 'access'],
          security: PUBLIC,
          errors: ['invalid_handoff', 'cookie_blocked', 'csrf_rejected', 'rate_limited'],
          bare: { 303: 'To the returnTo (opened, or already seen by this browser), or to the sign-in page (step-up).' },
          forms: true,
        }),
      },
    )
    .post(
      '/v2/access/orders/:orderId/revoke',
      async ({ ctx, params }) => {
        const caller = await ctx.requireCaller('access:write');
        const tenant = await callerTenant(caller, undefined);
        const { revokedGrants, endedSessions } = await revokeOrder(deps, {
          tenantId: tenant.id,
          orderId: params.orderId,
          actor: actorOf(caller),
          requestId: ctx.requestId,
        });
        return { revokedGrants, endedSessions };
      },
      {
        params: t.Object({ orderId: Text({ maxLength: 200, description: 'The order refunded or charged back.' }) }),
        response: { 200: t.Object({ revokedGrants: t.Integer(), endedSessions: t.Integer() }) },
        detail: operation({
          summary: 'Revoke an order (refund, chargeback): its grants and order-scoped sessions end',
          tags: ['access'],
          security: serverCaller('access:write'),
          errors: ['unauthorized', 'insufficient_scope'],
        }),
      },
    );
}
