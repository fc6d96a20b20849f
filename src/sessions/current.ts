// The visitor session of a request and the tenant it counts for. On an edge host the host's
// tenant decides (another tenant's session is wrong_tenant); elsewhere only bearer sessions count.
// Route handlers reach these through their request context (src/route-context.ts), which asks once.
import { sessionTtlFor, type AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { cookieString, setHostCookie, type CookieJar } from '../http/cookies.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { revokeSession } from './queries.ts';
import { SESSION_COOKIE, sessionFromToken, sessionTokenFrom, touchSession, type VisitorSession } from './sessions.ts';

/** Reading the session needs only the cookie values. */
type ReadableJar = Record<string, { value?: unknown }>;

export type CurrentSession = { session: VisitorSession | null; tenant: Tenant | null };

/** `hostTenant`: the tenant of the request's host (null on the service's own host). */
export async function currentSession(
  deps: AppDeps,
  context: RequestContext,
  request: Request,
  jar: ReadableJar,
  hostTenant: Tenant | null,
): Promise<CurrentSession> {
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
export function signedIn({ session, tenant }: CurrentSession): { session: VisitorSession; tenant: Tenant } {
  if (!session || !tenant) throw new AppError('not_signed_in');
  return { session, tenant };
}

/**
 * A full session (the address was proven), or 403 step_up_required: an order-scoped session
 * (opened from a checkout handoff, whose address nobody verified) may not act on the address's
 * other sessions.
 */
export function requireFullSession<T extends { session: VisitorSession }>(found: T, signInHref: string): T {
  if (found.session.scope !== 'full') {
    throw new AppError('step_up_required', {
      detail: 'This session only opens one order. Sign in with your email to manage your sessions.',
      fields: { signIn: signInHref },
    });
  }
  return found;
}

/**
 * For a route that counts as using the session: its expiry slides (written at most once an hour,
 * never past SESSION_MAX_AGE after sign-in), and when it does, a cookie session gets its cookie again
 * with the new lifetime. The browser drops a cookie at its own Max-Age, set at sign-in, whatever the
 * database says. Never called by the edge check (no writes on the hot path).
 */
export async function slideUsedSession(
  deps: AppDeps,
  jar: CookieJar,
  { session, tenant }: { session: VisitorSession; tenant: Tenant },
): Promise<{ session: VisitorSession; tenant: Tenant }> {
  const live = await touchSession(deps, session, sessionTtlFor(deps, tenant), deps.config.sessionMaxAgeSeconds);
  if (live !== session && live.via === 'cookie') {
    // The cookie lives as long as the session now does (less than the TTL near the absolute lifetime).
    const remainingSeconds = Math.max(0, Math.ceil((live.expires_at.getTime() - deps.clock.now().getTime()) / 1000));
    setHostCookie(jar, SESSION_COOKIE, cookieString(jar, SESSION_COOKIE)!, remainingSeconds);
  }
  return { session: live, tenant };
}

/**
 * Step-up: a full sign-in (link or code) in a browser that held an order-scoped session of the same
 * address replaces it; the old one ends, so it no longer counts against its order's cap. Likewise
 * when another order's handoff is opened in that browser (one session cookie per browser).
 */
export async function endSupersededOrderSession(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  held: VisitorSession | null,
  visitorId: string,
  requestId: string,
): Promise<void> {
  if (held?.scope === 'order' && held.visitor_id === visitorId) await revokeSession(deps.db, held.id, deps.clock.now(), requestId);
}
