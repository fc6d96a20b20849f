// GET /_edge/visitor/access — asked by the CDN before every gated page view. Only 204/401/403 ever
// (nginx turns anything else into a 500). Hot path: no writes, at most one indexed query (shared by
// the misses of one event-loop turn: edge-identity.ts), none when the cache answers; served before
// the framework's routing to keep per-request work minimal.
import type { AppDeps } from '../app-deps.ts';
import { edgeRequestFacts, type PeerSource } from '../http/request-context.ts';
import { SESSION_COOKIE } from '../sessions/sessions.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { verifyToken } from '../tokens/tokens.ts';
import { EdgeCache, type EdgeIdentity } from './edge-cache.ts';
import { createIdentityLoader } from './edge-identity.ts';
import { grantCovers, isGated, normalisePath } from './paths.ts';

export const EDGE_PATH = '/_edge/visitor/access';

type Reason = 'not_signed_in' | 'no_grant' | 'step_up_required' | 'unknown_host' | 'bad_path' | 'unavailable';

const COOKIE_PREFIX = `${SESSION_COOKIE}=`;

function sessionToken(request: Request): string | null {
  const authorization = request.headers.get('authorization');
  if (authorization?.startsWith('Bearer vs_')) return authorization.slice(7).trim();
  const cookie = request.headers.get('cookie');
  if (!cookie) return null;
  const start = cookie.indexOf(COOKIE_PREFIX);
  if (start === -1 || (start > 0 && cookie[start - 1] !== ' ' && cookie[start - 1] !== ';')) return null;
  const end = cookie.indexOf(';', start);
  return cookie.slice(start + COOKIE_PREFIX.length, end === -1 ? undefined : end).trim();
}

function originalUri(request: Request): string | null {
  const header = request.headers.get('x-original-uri') ?? request.headers.get('x-forwarded-uri');
  if (header) return header;
  const q = request.url.indexOf('?');
  if (q === -1) return null;
  return new URLSearchParams(request.url.slice(q + 1)).get('uri');
}

export function createEdgeCheck(deps: AppDeps) {
  const { config, keys, clock, logger } = deps;
  const cache = new EdgeCache(config.edgeCacheSeconds * 1000);
  // A replica may answer when at most half the cache's lifetime behind (edge-identity.ts).
  const identities = createIdentityLoader(deps.reads, (config.edgeCacheSeconds * 1000) / 2, () => clock.now().getTime());
  const debug = config.logLevel === 'debug';
  // Pre-bound metric children: the hot path adds one to a plain number (src/metrics/metrics.ts).
  const { decisions, cacheHit, cacheMiss } = deps.metrics.edge;

  type Facts = ReturnType<typeof edgeRequestFacts>;

  // One Headers per shape of answer, refilled for each: `new Response` copies its init's headers
  // (Fetch standard), so the next answer cannot change this one's, and no Headers is built per
  // check (filling one from an object costs more than copying one; refilling, less than both).
  // Each shape always sets the same names, so no header of an earlier answer is left behind.
  const shapes = Array.from({ length: 4 }, () => new Headers({ 'cache-control': 'private, no-store' }));

  function answer(facts: Facts, status: 204 | 401 | 403, reason: Reason | null, name?: string, value?: string): Response {
    const headers = shapes[(reason ? 2 : 0) + (name ? 1 : 0)]!;
    headers.set('x-request-id', facts.requestId);
    if (reason) headers.set('x-visitor-reason', reason);
    if (name) headers.set(name, value!);
    decisions[reason ?? (name ? 'granted' : 'not_gated')].inc();
    if (debug) logger.debug('edge decision', { requestId: facts.requestId, status, reason, host: facts.hostname });
    return new Response(null, { status, headers });
  }

  /** After the tenant is known: path, gate, session (cache, else one query), grant. */
  function decide(request: Request, facts: Facts, tenant: Tenant | null): Response | Promise<Response> {
    if (!tenant) return answer(facts, 403, 'unknown_host');
    const uri = originalUri(request);
    const path = uri === null ? null : normalisePath(uri);
    if (path === null) return answer(facts, 403, 'bad_path'); // a misconfigured CDN fails closed
    if (!isGated(path, tenant.gatedPrefixes)) return answer(facts, 204, null);

    const nowMs = clock.now().getTime();
    const token = sessionToken(request);
    if (!token) return signIn(facts, tenant, uri!);
    const cached = cache.get(token, nowMs);
    if (cached !== undefined) {
      cacheHit.inc();
      return allowed(facts, tenant, cached, path, uri!, nowMs);
    }
    cacheMiss.inc();
    // Forged tokens never reach the database (nor the cache).
    if (!verifyToken(keys, 'vs', token)) return signIn(facts, tenant, uri!);
    return identities.load(token).then(({ identity, asOfMs }) => {
      // A replica's answer is as old as its data: the cache counts from then, not from now.
      cache.set(token, identity, Math.min(nowMs, asOfMs));
      return allowed(facts, tenant, identity, path, uri!, nowMs);
    });
  }

  function allowed(facts: Facts, tenant: Tenant, identity: EdgeIdentity | null, path: string, uri: string, nowMs: number): Response {
    if (!identity || identity.tenantId !== tenant.id || identity.sessionExpiresAt <= nowMs) return signIn(facts, tenant, uri);
    // An order-scoped session opens its order's grants; another grant of the address needs the
    // address proven first (step-up), and says so; a path no grant covers stays a plain 403.
    let otherOrder = false;
    for (const grant of identity.grants) {
      if ((grant.expiresAt === null || grant.expiresAt > nowMs) && grantCovers(grant.resource, path)) {
        if (identity.orderId === null || grant.orderId === identity.orderId)
          return answer(facts, 204, null, 'x-visitor-id', identity.visitorId);
        otherOrder = true;
      }
    }
    if (otherOrder) return answer(facts, 403, 'step_up_required', 'x-visitor-login', signInUrl(facts, tenant, uri));
    return answer(facts, 403, 'no_grant');
  }

  function signInUrl(facts: Facts, tenant: Tenant, uri: string): string {
    const origin = facts.origin();
    const base = tenant.origins.includes(origin) ? origin : tenant.origins[0]!;
    return `${base}/_edge/visitor/sign-in?returnTo=${encodeURIComponent(uri)}`;
  }

  function signIn(facts: Facts, tenant: Tenant, uri: string): Response {
    return answer(facts, 401, 'not_signed_in', 'x-visitor-login', signInUrl(facts, tenant, uri));
  }

  // Fail closed, and never with a status nginx would turn into a 500.
  function failed(facts: Facts, error: unknown): Response {
    logger.error('edge check failed', { requestId: facts.requestId, error: String((error as Error)?.message ?? error) });
    return answer(facts, 403, 'unavailable');
  }

  return {
    cache,
    /**
     * Not async on purpose: a cached host and session answer synchronously, without a promise.
     * `peer` (the socket address) is asked for only when forwarded headers need the trust decision.
     */
    check(request: Request, peer?: PeerSource): Response | Promise<Response> {
      const facts = edgeRequestFacts(request, config, peer);
      try {
        const cached = deps.tenants.peekHost(facts.hostname);
        const result =
          cached !== undefined
            ? decide(request, facts, cached)
            : deps.tenants.forHost(facts.hostname).then((tenant) => decide(request, facts, tenant));
        return result instanceof Response ? result : result.catch((error: unknown) => failed(facts, error));
      } catch (error) {
        return failed(facts, error);
      }
    },
  };
}
