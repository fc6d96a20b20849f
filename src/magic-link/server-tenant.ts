// The tenant a storefront server asks for when it requests a sign-in link on a shopper's behalf.
import type { AppDeps } from '../app-deps.ts';
import { assertCallerOnOwnHost, type ServerCaller } from '../credentials/caller.ts';
import { AppError } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import type { Tenant } from '../tenants/tenants.ts';

/** Its own tenant, only on its own host or the service's, and only with visitor:write. */
export async function serverTenant(deps: AppDeps, ctx: RouteContext, caller: ServerCaller, handle: string | undefined): Promise<Tenant> {
  await assertCallerOnOwnHost(deps, ctx.request, caller);
  if (!caller.scopes.has('visitor:write') || !caller.tenantId) {
    throw new AppError('insufficient_scope', {
      detail: 'Requesting sign-in links needs the visitor:write scope.',
      fields: { requiredScope: 'visitor:write' },
    });
  }
  const tenant = await deps.tenants.forId(caller.tenantId);
  if (!tenant) throw new AppError('unauthorized', { detail: 'The credential belongs to no storefront.' });
  if (handle !== undefined && handle !== tenant.handle)
    throw new AppError('wrong_tenant', { detail: `This credential belongs to the storefront "${tenant.handle}".` });
  return tenant;
}
