// /v2/visitor/me and logout.
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf } from '../http/body.ts';
import { recordAudit } from '../audit/audit.ts';
import { clearHostCookie, type CookieJar } from '../http/cookies.ts';
import { assertOriginAllowed } from '../http/csrf.ts';
import { routeContext } from '../route-context.ts';
import { requireFullSession } from './current.ts';
import { listLiveSessions, revokeOwnSession, revokeSession, revokeVisitorSessions } from './queries.ts';
import { SESSION_COOKIE } from './sessions.ts';

export function sessionRoutes(deps: AppDeps) {
  const { config } = deps;
  const signInUrl = (tenant: { origins: readonly string[] }) => `${tenant.origins[0] ?? ''}/_edge/visitor/sign-in`;

  return new Elysia({ name: 'sessions' })
    .use(routeContext(deps))
    .get('/v2/visitor/me', async ({ ctx }) => {
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
    })
    .get('/v2/visitor/sessions', async ({ ctx }) => {
      const { session } = await ctx.requireUsedSession();
      // An order-scoped session sees itself only: the address's other sessions are the owner's business.
      const rows =
        session.scope === 'full'
          ? await listLiveSessions(deps.db, session.visitor_id, deps.clock.now())
          : (await listLiveSessions(deps.db, session.visitor_id, deps.clock.now())).filter((row) => row.id === session.id);
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
    })
    .delete('/v2/visitor/sessions/:id', async ({ ctx, request, params, set }) => {
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
    })
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
      { body: t.Object({ scope: t.Optional(t.Union([t.Literal('current'), t.Literal('all')])) }) },
    );
}
