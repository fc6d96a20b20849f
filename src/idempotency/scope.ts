// Whose Idempotency-Key a request uses: (host, tenant handle, caller). A key only ever replays to
// the caller who stored it, so the caller part must be something only that caller has:
// - a visitor: its session token (`Bearer vs_…` or the `__Host-visitor_session` cookie), hashed;
// - a PAT: the token, hashed (knowing it is the authority; no lookup needed);
// - a storefront JWT: its key id + `sub`, read only AFTER the signature is verified here — kid and
//   sub are public, so unverified claims would let anyone present a victim's scope and be served
//   its stored answer. A retry with a freshly minted JWT (new iat/exp) is then still a retry;
// - anyone else: the client IP.
// The same Origin check as the route runs first, so a replay never skips a CSRF refusal.
import { createHash } from 'node:crypto';
import type { AppDeps } from '../app-deps.ts';
import { bearerOf, unauthorized } from '../credentials/caller.ts';
import { joseLibrary, verifyStorefrontJwt } from '../credentials/jwt.ts';
import { assertOriginAllowed, originAllowed } from '../http/csrf.ts';
import type { RequestContext } from '../http/request-context.ts';
import { SESSION_COOKIE } from '../sessions/sessions.ts';

export type ScopeDeps = Pick<AppDeps, 'config' | 'db' | 'keys' | 'clock' | 'tenants'>;

/** Routes a session cookie authenticates: a cookie request from elsewhere is refused, as the route does. */
const COOKIE_AUTHENTICATED_PATHS = new Set(['/v2/visitor/auth/logout']);
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A stable, non-reversible name for a secret; domain-separated so it never equals a stored lookup hash. */
function digest(secret: string): string {
  return createHash('sha256').update('idempotency-scope\0').update(secret).digest('hex').slice(0, 32);
}

function handleOf(body: Uint8Array): string | null {
  if (body.length === 0) return null;
  try {
    const text = new TextDecoder().decode(body);
    const value = text.trimStart().startsWith('{')
      ? (JSON.parse(text) as { handle?: unknown }).handle
      : new URLSearchParams(text).get('handle');
    return typeof value === 'string' ? value.slice(0, 64) : null;
  } catch {
    return null;
  }
}

function cookieValue(request: Request, name: string): string | null {
  for (const pair of (request.headers.get('cookie') ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at !== -1 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim() || null;
  }
  return null;
}

function isForm(request: Request): boolean {
  return (request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/** The caller part named by the Authorization header, or null when there is none. */
async function credentialPart(deps: ScopeDeps, request: Request): Promise<string | null> {
  const header = request.headers.get('authorization');
  if (!header) return null;
  const bearer = bearerOf(request);
  if (bearer?.startsWith('vs_')) return `session:${digest(bearer)}`;
  if (bearer?.startsWith('vapat_')) return `pat:${digest(bearer)}`;
  if (bearer && JWT_SHAPE.test(bearer)) {
    // Verified here (one key lookup), so the route's own verification is not the first.
    const caller = await verifyStorefrontJwt(deps, bearer);
    if (!caller) throw unauthorized('The JWT is not valid for this service.');
    const sub = (await joseLibrary()).decodeJwt(bearer).sub;
    return `jwt:${caller.id}:${typeof sub === 'string' ? digest(sub) : '-'}`;
  }
  // Anything else the route refuses; it still gets a scope of its own.
  return `auth:${digest(header)}`;
}

/**
 * The scope of `request`'s Idempotency-Key, after the Origin checks the route itself would make
 * (403 csrf_rejected before any replay or claim). `body` is the request's body, already read.
 */
export async function idempotencyScope(deps: ScopeDeps, request: Request, context: RequestContext, body: Uint8Array): Promise<string> {
  const handle = handleOf(body);
  const hostTenant = await deps.tenants.forHost(context.hostname);
  // Every form post must come from the storefront (on the service host: the tenant its handle names).
  if (isForm(request)) {
    const tenant = hostTenant ?? (handle ? await deps.tenants.forHandle(handle) : null);
    if (tenant) assertOriginAllowed(request, tenant, deps.config);
  }
  const parts: string[] = [];
  const credential = await credentialPart(deps, request);
  if (credential) parts.push(credential);
  // Routes read the session cookie on storefront hosts only, and prefer a bearer session.
  const cookie = hostTenant && !credential?.startsWith('session:') ? cookieValue(request, SESSION_COOKIE) : null;
  if (cookie && hostTenant) {
    if (originAllowed(request, hostTenant, deps.config)) parts.push(`session:${digest(cookie)}`);
    // A cookie-authenticated write from elsewhere is refused; other routes just ignore the cookie.
    else if (COOKIE_AUTHENTICATED_PATHS.has(context.path)) assertOriginAllowed(request, hostTenant, deps.config);
  }
  if (parts.length === 0) parts.push(`ip:${context.clientIp}`);
  return `${context.hostname}|${handle ?? '-'}|${parts.join('+')}`;
}
