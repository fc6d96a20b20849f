// Where a sign-in by link lands: on the offer page ("Sign in faster next time") when the browser
// can make a passkey (the link page's script says so), the shopper is on the storefront's own host
// through one of its origins, and has no passkey there yet; otherwise straight on to returnTo.
import type { Db } from '../db/db.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { hasLivePasskey } from './passkeys.ts';
import { passkeyOfferPath } from './pages.ts';

/** Whether this request is on a host a passkey of this storefront can belong to (its own, through one of its origins). */
export function passkeyHostOf(tenant: Tenant, where: { hostname: string; origin: string }): boolean {
  return (
    tenant.origins.includes(where.origin) && new URL(where.origin).hostname === where.hostname && tenant.hosts.includes(where.hostname)
  );
}

export async function landingAfterSignIn(
  db: Db,
  where: { tenant: Tenant; hostname: string; origin: string },
  visitorId: string,
  returnTo: string,
): Promise<string> {
  if (!passkeyHostOf(where.tenant, where)) return returnTo;
  if (await hasLivePasskey(db, visitorId, where.hostname)) return returnTo;
  return passkeyOfferPath(returnTo);
}
