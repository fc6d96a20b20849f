// Addresses of console pages, for the pages' links and for the redirects after an action. Kept apart
// from the HTML (layout.ts and the page modules) so the routes can redirect without loading those
// (pages.ts imports them on first use).
import type { Action } from './actions.ts';
import type { ConsoleTenant } from './tenant-queries.ts';

export function shopperHref(handle: string, email: string): string {
  return `/console/tenants/${handle}/shopper?email=${encodeURIComponent(email)}`;
}

export function webhooksHref(handle: string): string {
  return `/console/tenants/${handle}/webhooks`;
}

/** Where "Cancel" (and the action, once done) leads: the shopper's page, else the tenant's. */
export function backHref(tenant: ConsoleTenant, action: Action): string {
  if (action.name.startsWith('webhook-')) return webhooksHref(tenant.handle);
  return action.email ? shopperHref(tenant.handle, action.email) : `/console/tenants/${tenant.handle}`;
}
