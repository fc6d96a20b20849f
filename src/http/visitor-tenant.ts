// Which tenant a visitor request is for. On an edge host, that host's tenant decides (a `handle`
// naming another tenant is wrong_tenant); on the service's own host, the `handle` field does.
import { AppError } from '../errors.ts';
import { invalid } from './body.ts';
import type { RequestContext } from './request-context.ts';
import type { HttpTenant, TenantLookup } from './tenant-lookup.ts';

export async function visitorTenant<T extends HttpTenant>(
  tenants: Pick<TenantLookup<T>, 'forHost' | 'forHandle'>,
  context: RequestContext,
  handle: unknown,
): Promise<{ tenant: T; onEdgeHost: boolean }> {
  const hostTenant = await tenants.forHost(context.hostname);
  if (hostTenant) {
    if (handle !== undefined && handle !== '' && handle !== hostTenant.handle) {
      throw new AppError('wrong_tenant', { detail: `This host belongs to the storefront "${hostTenant.handle}".` });
    }
    context.facts.tenantId = hostTenant.id;
    return { tenant: hostTenant, onEdgeHost: true };
  }
  if (handle === undefined || handle === '') throw invalid('handle', 'handle is required on this host.');
  if (typeof handle !== 'string') throw invalid('handle', 'handle must be a string.');
  const tenant = await tenants.forHandle(handle);
  if (!tenant) throw new AppError('unknown_handle', { detail: `No storefront has the handle "${handle.slice(0, 64)}".` });
  context.facts.tenantId = tenant.id;
  return { tenant, onEdgeHost: false };
}

/** Links and login URLs go to the origin the shopper came through when it is the tenant's, else its public origin. */
export function linkOriginFor(tenant: HttpTenant, context: RequestContext): string {
  return tenant.origins.includes(context.origin) ? context.origin : tenant.origins[0]!;
}
