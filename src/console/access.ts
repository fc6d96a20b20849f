// Who may see and do what in the console. Support operators see only the tenants listed for them;
// admins see every tenant. A page or action outside that — also by guessing a URL or an id — is
// `403 wrong_audience`. Grants are changed by admins, or by support when the tenant allows it.
import type { AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import type { Tenant } from '../tenants/tenants.ts';
import type { ConsoleSession } from './session.ts';
import { listVisibleTenants, type ConsoleTenant } from './tenant-queries.ts';

export type Viewer = {
  session: ConsoleSession;
  /** The tenants this operator sees, by handle order. */
  tenants: ConsoleTenant[];
  isAdmin: boolean;
};

export async function viewerOf(deps: AppDeps, session: ConsoleSession): Promise<Viewer> {
  const tenants = await listVisibleTenants(deps.db, session.operator);
  return { session, tenants, isAdmin: session.operator.role === 'admin' };
}

export function wrongAudience(detail: string): AppError {
  return new AppError('wrong_audience', { detail });
}

export const NOT_YOURS = 'A support operator sees only the storefronts an admin listed for them. Ask an admin if you need this one.';

/** The tenant of a console URL, if this operator may see it. */
export async function visibleTenant(deps: AppDeps, viewer: Viewer, handle: string): Promise<{ tenant: Tenant; view: ConsoleTenant }> {
  const view = viewer.tenants.find((t) => t.handle === handle);
  if (!view) {
    // An admin sees every tenant, so for an admin the handle simply does not exist.
    if (viewer.isAdmin) throw new AppError('not_found', { detail: `No storefront has the handle "${handle.slice(0, 64)}".` });
    throw wrongAudience(NOT_YOURS);
  }
  const tenant = await deps.tenants.forId(view.id);
  if (!tenant) throw new AppError('not_found', { detail: 'This storefront was just removed.' });
  return { tenant, view };
}

/** A tenant id (of a request, a session, a report…) this operator may see. */
export function canSeeTenant(viewer: Viewer, tenantId: string | null): boolean {
  if (viewer.isAdmin) return true; // every tenant, and requests of none
  return tenantId !== null && viewer.tenants.some((t) => t.id === tenantId);
}

export function canEditGrants(viewer: Viewer, tenant: ConsoleTenant): boolean {
  return viewer.isAdmin || tenant.supportCanEditGrants;
}

/**
 * An object named in the URL or form (session, report) must belong to the URL's tenant: one of
 * another tenant is `403 wrong_audience` (URL guessing), one that does not exist is `404`.
 */
export function assertBelongs(ownerTenantId: string | undefined, tenant: { id: string }, what: string): void {
  if (ownerTenantId === undefined) throw new AppError('not_found', { detail: `No ${what} has this id.` });
  if (ownerTenantId !== tenant.id) throw wrongAudience(`This ${what} belongs to another storefront. ${NOT_YOURS}`);
}
