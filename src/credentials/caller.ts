// Who is calling a server route: a PAT (`Bearer vapat_…`) or a storefront JWT (`Bearer eyJ…`).
// Missing/invalid → 401 unauthorized; a valid credential without the scope → 403 insufficient_scope;
// a storefront's credential on another storefront's edge host → 403 wrong_tenant.
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { requestContext } from '../http/request-context.ts';
import type { TenantDirectory } from '../tenants/tenants.ts';
import type { CredentialDeps, ServerCaller } from './caller-types.ts';
import { verifyStorefrontJwt } from './jwt.ts';
import { findLivePatByToken, touchPat } from './pats.ts';
import type { Scope } from './scopes.ts';

export type { CredentialDeps, ServerCaller } from './caller-types.ts';

/** What the host rule needs on top: which tenant owns the request's host. */
export type HostDeps = { tenants: TenantDirectory; config: Config };

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function bearerOf(request: Request): string | null {
  const header = request.headers.get('authorization');
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/** The server caller, or null when the request carries no server credential at all. */
export async function serverCallerFrom(deps: CredentialDeps, request: Request): Promise<ServerCaller | null> {
  const token = bearerOf(request);
  if (!token || token.startsWith('vs_')) return null;
  if (token.startsWith('vapat_')) {
    const pat = await findLivePatByToken(deps.db, token);
    if (!pat) throw unauthorized('The access token is unknown or revoked.');
    await touchPat(deps.db, pat, deps.clock.now());
    return { kind: 'pat', id: pat.id, tenantId: pat.tenantId, scopes: new Set(pat.scopes) };
  }
  if (JWT_SHAPE.test(token)) {
    const caller = await verifyStorefrontJwt(deps, token);
    if (!caller) throw unauthorized('The JWT is not valid for this service.');
    return caller;
  }
  throw unauthorized('Unrecognised credential.');
}

/**
 * A storefront's credential acts only on the service's own host or on that storefront's edge host:
 * on another storefront's host it is 403 wrong_tenant (as a shopper's session is), so a leaked or
 * misconfigured credential never acts for its tenant through someone else's domain. Service PATs
 * (no tenant) are left to their routes' audience rule.
 */
export async function assertCallerOnOwnHost(deps: HostDeps, request: Request, caller: ServerCaller): Promise<void> {
  if (caller.tenantId === null) return;
  const hostTenant = await deps.tenants.forHost(requestContext(request, deps.config).hostname);
  if (hostTenant && hostTenant.id !== caller.tenantId) {
    throw new AppError('wrong_tenant', {
      detail: `This host belongs to the storefront "${hostTenant.handle}"; the credential belongs to another storefront.`,
    });
  }
}

/** The caller (as serverCallerFrom found it), which must exist, be on its own host and hold `scope`. */
export async function authorizeServerCaller(
  deps: HostDeps,
  request: Request,
  caller: ServerCaller | null,
  scope: Scope,
): Promise<ServerCaller & { tenantId: string }> {
  if (!caller) throw unauthorized('Send a PAT or a storefront JWT as `Authorization: Bearer …`.');
  await assertCallerOnOwnHost(deps, request, caller);
  if (!caller.scopes.has(scope) || caller.tenantId === null) {
    throw new AppError('insufficient_scope', { detail: `This route needs the ${scope} scope.`, fields: { requiredScope: scope } });
  }
  return caller as ServerCaller & { tenantId: string };
}

export function unauthorized(detail: string): AppError {
  return new AppError('unauthorized', { detail, headers: { 'www-authenticate': 'Bearer realm="visitor-access"' } });
}
