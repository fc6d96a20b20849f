// A prototype, for measurement only, of the cached edge check shaped the way docs/performance.md
// recommends — to show what those changes would buy before anyone touches src/. It answers the hot
// case itself (a cached live session whose grant covers a gated path, or a path that is not gated)
// and hands every other case to the real edge check from src/ (same cache, same answers).
//
// Differences from src/ today, one per recommendation:
//  1. no full RequestContext: the path comes from request.url by indexOf, not new URL();
//  2. the trusted-proxy check runs only when a forwarded header or X-Request-Id is present, and its
//     answer is memoised per peer string (src/ parses the peer into BigInts on every request);
//  3. the socket peer is asked for (srv.requestIP) only in that case;
//  4. request ids from a pool of random bytes and a hex table;
//  5. the tenant lookup answers synchronously when cached (no async hops);
//  6. the response headers are built without an object spread;
//  7. with { misses: true }, a cache miss is answered here too: the token's HMAC through node:crypto
//     (native; src/ does the same since the second pass), then src/'s own loader (edge-identity.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AppDeps } from '../../src/app-deps.ts';
import type { EdgeIdentity } from '../../src/access/edge-cache.ts';
import { createEdgeCheck } from '../../src/access/edge.ts';
import { createIdentityLoader } from '../../src/access/edge-identity.ts';
import { grantCovers, isGated, normalisePath } from '../../src/access/paths.ts';
import { ipInCidrs } from '../../src/net/cidr.ts';
import { socketPeers } from '../../src/http/request-context.ts';
import type { Tenant } from '../../src/tenants/tenants.ts';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = new Uint8Array(4096);
let poolAt = pool.length;
function requestId(): string {
  if (poolAt + 12 > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  let out = 'req_';
  for (let i = poolAt; i < poolAt + 12; i++) out += HEX[pool[i]!];
  poolAt += 12;
  return out;
}

const COOKIE = '__Host-visitor_session=';

const TOKEN = /^vs_([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

export function createLeanEdge(deps: AppDeps, options: { misses?: boolean } = {}) {
  const edge = createEdgeCheck(deps);
  const macKeys = deps.keys.all.map((k) => Buffer.from(k.tokenMac));

  /** verifyToken() of src/tokens/tokens.ts with native HMAC: every key tried, constant-time compare. */
  function verify(token: string): boolean {
    const m = TOKEN.exec(token);
    if (!m) return false;
    const given = Buffer.from(m[2]!, 'base64url');
    if (given.length !== 16) return false;
    let ok = false;
    for (const key of macKeys) ok = timingSafeEqual(createHmac('sha256', key).update(`vs_${m[1]}`).digest().subarray(0, 16), given) || ok;
    return ok;
  }

  // Misses go through src/'s own loader (one statement per event-loop turn's misses).
  const identities = createIdentityLoader(deps.db, () => Date.now());
  const trustedPeers = new Map<string, boolean>();
  const tenants = new Map<string, { tenant: Tenant | null; until: number }>();

  function trusted(peer: string): boolean {
    let t = trustedPeers.get(peer);
    if (t === undefined) {
      t = ipInCidrs(peer, deps.config.trustedProxies);
      if (trustedPeers.size >= 1024) trustedPeers.clear();
      trustedPeers.set(peer, t);
    }
    return t;
  }

  /** `peer` is asked for only when a header needs the trust decision. */
  return function check(request: Request, peer: () => string | undefined): Response | Promise<Response> {
    const headers = request.headers;
    let host = headers.get('host') ?? '';
    if (headers.has('x-forwarded-host') || headers.has('x-request-id') || headers.has('x-forwarded-for')) {
      const p = peer();
      if (p) socketPeers.set(request, p);
      if (p && trusted(p)) return edge.check(request); // the full path handles forwarded facts
    }
    const colon = host.lastIndexOf(':');
    if (colon > -1 && host.indexOf(']') < colon) host = host.slice(0, colon);
    host = host.toLowerCase();
    const now = Date.now();
    const hit = tenants.get(host);
    if (!hit || hit.until <= now) {
      return deps.tenants.forHost(host).then((tenant) => {
        tenants.set(host, { tenant, until: now + 5000 });
        return edge.check(request);
      });
    }
    const tenant = hit.tenant;
    const uri = headers.get('x-original-uri') ?? headers.get('x-forwarded-uri');
    if (!tenant || uri === null) return edge.check(request);
    const path = normalisePath(uri);
    if (path === null) return edge.check(request);
    if (!isGated(path, tenant.gatedPrefixes)) {
      return new Response(null, { status: 204, headers: { 'cache-control': 'private, no-store', 'x-request-id': requestId() } });
    }
    const cookie = headers.get('cookie');
    const start = cookie ? cookie.indexOf(COOKIE) : -1;
    if (start === -1 || headers.has('authorization')) return edge.check(request);
    const end = cookie!.indexOf(';', start);
    const token = cookie!.slice(start + COOKIE.length, end === -1 ? undefined : end).trim();
    const cached = edge.cache.get(token, now);
    if (cached === undefined && options.misses) {
      if (!verify(token)) return edge.check(request);
      return identities.load(token).then((identity) => {
        edge.cache.set(token, identity, now);
        return identity ? allow(identity, tenant, path, now, request) : edge.check(request);
      }, () => edge.check(request));
    }
    if (!cached) return edge.check(request);
    return allow(cached, tenant, path, now, request);
  };

  function allow(identity: EdgeIdentity, tenant: Tenant, path: string, now: number, request: Request): Response | Promise<Response> {
    if (identity.tenantId !== tenant.id || identity.sessionExpiresAt <= now) return edge.check(request);
    for (const grant of identity.grants) {
      if ((grant.expiresAt === null || grant.expiresAt > now) && grantCovers(grant.resource, path)) {
        return new Response(null, {
          status: 204,
          headers: { 'cache-control': 'private, no-store', 'x-request-id': requestId(), 'x-visitor-id': identity.visitorId },
        });
      }
    }
    return edge.check(request);
  }
}
