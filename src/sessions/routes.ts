// /v2/visitor/me and logout.
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf } from '../http/body.ts';
import { recordAudit } from '../audit/audit.ts';
import { clearHostCookie, type CookieJar } from '../http/cookies.ts';
import { assertOriginAllowed } from '../http/csrf.ts';
import { IsoTime, operation, Text, VISITOR } from '../openapi/schemas.ts';
import { routeContext } from '../route-context.ts';
import { requireFullSession } from './current.ts';
import { listLiveSessions, revokeOwnSession, revokeSession, revokeVisitorSessions } from './queries.ts';
import { SESSION_COOKIE } from './sessions.ts';

const SessionScope = t.Union([t.Literal('full'), t.Literal('order')], {
  description: '`full`: the address was proven (link or code); `order`: opened from a checkout handoff, sees one order.',
});

const Me = t.Object({
  visitor: t.Object({ id: t.String(), email: t.String(), handle: t.String({ description: 'The storefront.' }) }),
  session: t.Object({
    id: t.String(),
    createdAt: IsoTime(),
    expiresAt: IsoTime(),
    via: t.Union([t.Literal('cookie'), t.Literal('bearer')]),
    scope: SessionScope,
    orderId: t.Optional(t.String({ description: 'The order an order-scoped session sees (scope "order" only).' })),
  }),
});

const SessionItem = t.Object({
  id: t.String(),
  createdAt: IsoTime(),
  lastSeenAt: IsoTime(),
  userAgent: t.Nullable(t.String()),
  scope: SessionScope,
  current: t.Boolean({ description: 'The session this request came with.' }),
});

export function sessionRoutes(deps: AppDeps) {
  const { config } = deps;
  const signInUrl = (tenant: { origins: readonly string[] }) => `${tenant.origins[0] ?? ''}/_edge/visitor/sign-in`;

  return new Elysia({ name: 'sessions' })
    .use(routeContext(deps))
    .get(
      '/v2/visitor/me',
      async ({ ctx }) => {
        const { session: live } = await ctx.requireUsedSession();
        return {
          visitor: { id: live.visitor_id, email: live.email, handle: live.handle },
          session: {
            id: live.id,
            createdAt: live.created_at.toISOString(),
            expiresAt: live.expires_at.toISOString(),
            via: live.via,
            scope: live.scope,
            ...(live.order_id === null ? {} : { orderId: live.order_id }),
          },
        };
      },
      {
        response: { 200: Me },
        detail: operation({ summary: 'Who is signed in', tags: ['visitor'], security: VISITOR, errors: ['not_signed_in', 'wrong_tenant'] }),
      },
    )
    .get(
      '/v2/visitor/sessions',
      async ({ ctx }) => {
        const { session } = await ctx.requireUsedSession();
        // An order-scoped session sees itself only: the address's other sessions are the owner's business.
        const live = await listLiveSessions(deps.db, session.visitor_id, deps.clock.now());
        const rows = session.scope === 'full' ? live : live.filter((row) => row.id === session.id);
        return {
          items: rows.map((row) => ({
            id: row.id,
            createdAt: row.created_at.toISOString(),
            lastSeenAt: row.last_seen_at.toISOString(),
            userAgent: row.user_agent,
            scope: row.scope,
            current: row.id === session.id,
          })),
        };
      },
      {
        response: { 200: t.Object({ items: t.Array(SessionItem) }) },
        detail: operation({
          summary: 'The signed-in shopper’s live sessions',
          tags: ['visitor'],
          security: VISITOR,
          errors: ['not_signed_in', 'wrong_tenant'],
        }),
      },
    )
    .delete(
      '/v2/visitor/sessions/:id',
      async ({ ctx, request, params, set }) => {
        const { session, tenant } = await ctx.requireSession();
        // A cookie-authenticated write must come from the storefront itself.
        if (session.via === 'cookie') assertOriginAllowed(request, tenant, config);
        if (params.id !== session.id) requireFullSession({ session }, signInUrl(tenant));
        if (!(await revokeOwnSession(deps.db, session.visitor_id, params.id, deps.clock.now(), ctx.requestId))) {
          throw new AppError('session_not_found', { detail: 'You have no live session with that id.' });
        }
        await recordAudit(deps.db, {
          kind: 'session_revoked',
          actor: 'visitor',
          requestId: ctx.requestId,
          tenantId: tenant.id,
          visitorId: session.visitor_id,
          sessionId: params.id,
          detail: { reason: 'revoked by the visitor', by: session.id },
          at: deps.clock.now(),
        });
        set.status = 204;
        return '';
      },
      {
        params: t.Object({ id: Text({ description: 'A session id from GET /v2/visitor/sessions.' }) }),
        detail: operation({
          summary: 'Revoke one of the shopper’s own sessions',
          tags: ['visitor'],
          security: VISITOR,
          errors: ['not_signed_in', 'wrong_tenant', 'csrf_rejected', 'session_not_found', 'step_up_required'],
          bare: { 204: 'Revoked.' },
        }),
      },
    )
    .post(
      '/v2/visitor/auth/logout',
      async ({ ctx, request, body, cookie, set }) => {
        const jar = cookie as CookieJar;
        // Logging out never fails for a missing or unreadable session, but another storefront's
        // session on this host is refused (403 wrong_tenant) rather than answered 204 unrevoked.
        const { session, tenant } = await ctx.session().catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'wrong_tenant') throw error;
          return { session: null, tenant: null };
        });
        const form = bodyKindOf(request) === 'form';
        // A cookie-authenticated write (or any form post) must come from the storefront itself.
        if (tenant && (form || session?.via === 'cookie')) assertOriginAllowed(request, tenant, config);
        if (session) {
          const now = deps.clock.now();
          const all = body.scope === 'all';
          if (all && tenant) requireFullSession({ session }, signInUrl(tenant));
          if (all) await revokeVisitorSessions(deps.db, session.visitor_id, now, ctx.requestId);
          else await revokeSession(deps.db, session.id, now, ctx.requestId);
          await recordAudit(deps.db, {
            kind: all ? 'sessions_revoked_all' : 'session_revoked',
            actor: 'visitor',
            requestId: ctx.requestId,
            tenantId: session.tenant_id,
            visitorId: session.visitor_id,
            sessionId: session.id,
            detail: { reason: 'logout' },
            at: now,
          });
        }
        if (jar[SESSION_COOKIE]?.value) clearHostCookie(jar, SESSION_COOKIE);
        if (form) {
          set.status = 303;
          set.headers.location = tenant?.origins[0] ? `${tenant.origins[0]}/` : '/';
          return '';
        }
        set.status = 204;
        return '';
      },
      {
        body: t.Object({ scope: t.Optional(t.Union([t.Literal('current'), t.Literal('all')], { description: 'Default: current.' })) }),
        detail: operation({
          summary: 'Sign out (this session, or every session of the shopper with scope=all)',
          description: 'Never fails for a missing or unreadable session. A form post is answered 303 to the storefront.',
          tags: ['visitor'],
          security: [...VISITOR, {}],
          errors: ['wrong_tenant', 'csrf_rejected', 'step_up_required'],
          bare: { 204: 'Signed out (JSON).', 303: 'Signed out (form): to the storefront’s first origin.' },
          idempotent: true,
          forms: true,
        }),
      },
    );
}
