// /v2/visitor/me and logout.
import { Elysia, t } from 'elysia';
import { sessionTtlFor, type AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf } from '../http/body.ts';
import { assertOriginAllowed } from '../http/csrf.ts';
import { requestContext } from '../http/request-context.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { revokeSession, revokeVisitorSessions } from './queries.ts';
import { SESSION_COOKIE, sessionFromToken, sessionTokenFrom, touchSession, type VisitorSession } from './sessions.ts';

type CookieJar = Record<string, { value?: unknown; remove(): unknown }>;

export function sessionRoutes(deps: AppDeps) {
  const { config } = deps;

  /**
   * The session of this request and the tenant it counts for. On an edge host, the host's tenant
   * decides: another tenant's session is wrong_tenant. Elsewhere only bearer sessions count.
   */
  async function currentSession(request: Request, jar: CookieJar): Promise<{ session: VisitorSession | null; tenant: Tenant | null }> {
    const context = requestContext(request, config);
    const hostTenant = await deps.tenants.forHost(context.hostname);
    const cookieValue = hostTenant ? (jar[SESSION_COOKIE]?.value as string | undefined) : undefined;
    const session = await sessionFromToken(deps, sessionTokenFrom(request, cookieValue || undefined));
    if (!session) return { session: null, tenant: hostTenant };
    if (hostTenant && session.tenant_id !== hostTenant.id) {
      throw new AppError('wrong_tenant', { detail: 'This session belongs to another storefront.' });
    }
    return { session, tenant: hostTenant ?? (await deps.tenants.forHandle(session.handle)) };
  }

  return new Elysia({ name: 'sessions' })
    .get('/v2/visitor/me', async ({ request, cookie }) => {
      const { session, tenant } = await currentSession(request, cookie as CookieJar);
      if (!session || !tenant) throw new AppError('not_signed_in');
      const live = await touchSession(deps, session, sessionTtlFor(deps, tenant));
      return {
        visitor: { id: live.visitor_id, email: live.email, handle: live.handle },
        session: { id: live.id, createdAt: live.created_at.toISOString(), expiresAt: live.expires_at.toISOString(), via: live.via },
      };
    })
    .post(
      '/v2/visitor/auth/logout',
      async ({ request, body, cookie, set }) => {
        const jar = cookie as CookieJar;
        const { session, tenant } = await currentSession(request, jar).catch(() => ({ session: null, tenant: null }));
        const form = bodyKindOf(request) === 'form';
        // A cookie-authenticated write (or any form post) must come from the storefront itself.
        if (tenant && (form || session?.via === 'cookie')) assertOriginAllowed(request, tenant, config);
        if (session) {
          const now = deps.clock.now();
          if (body.scope === 'all') await revokeVisitorSessions(deps.db, session.visitor_id, now);
          else await revokeSession(deps.db, session.id, now);
        }
        if (jar[SESSION_COOKIE]?.value) jar[SESSION_COOKIE]!.remove();
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
