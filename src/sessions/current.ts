// The visitor session of a request and the tenant it counts for. On an edge host the host's
// tenant decides (another tenant's session is wrong_tenant); elsewhere only bearer sessions count.
import type { AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { requestContext } from '../http/request-context.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { SESSION_COOKIE, sessionFromToken, sessionTokenFrom, type VisitorSession } from './sessions.ts';

type CookieJar = Record<string, { value?: unknown }>;

export async function currentSession(
  deps: AppDeps,
  request: Request,
  jar: CookieJar,
): Promise<{ session: VisitorSession | null; tenant: Tenant | null }> {
  const context = requestContext(request, deps.config);
  const hostTenant = await deps.tenants.forHost(context.hostname);
  const cookieValue = hostTenant ? (jar[SESSION_COOKIE]?.value as string | undefined) : undefined;
  const session = await sessionFromToken(deps, sessionTokenFrom(request, cookieValue || undefined));
  if (hostTenant) context.facts.tenantId = hostTenant.id;
  if (!session) return { session: null, tenant: hostTenant };
  Object.assign(context.facts, { tenantId: session.tenant_id, visitorId: session.visitor_id, sessionId: session.id });
  if (hostTenant && session.tenant_id !== hostTenant.id) {
    throw new AppError('wrong_tenant', { detail: 'This session belongs to another storefront.' });
  }
  return { session, tenant: hostTenant ?? (await deps.tenants.forHandle(session.handle)) };
}

/** The signed-in visitor, or 401 not_signed_in. */
export async function requireSession(deps: AppDeps, request: Request, jar: CookieJar): Promise<{ session: VisitorSession; tenant: Tenant }> {
  const { session, tenant } = await currentSession(deps, request, jar);
  if (!session || !tenant) throw new AppError('not_signed_in');
  return { session, tenant };
}
