// Where a sign-in by link lands: on the offer page ("Sign in faster next time") when the browser
// can make a passkey (the link page's script says so), the shopper is on one of the storefront's
// own hosts, and has no passkey there yet; otherwise straight on to returnTo.
import type { Db } from '../db/db.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { hasLivePasskey } from './passkeys.ts';
import { passkeyOfferPath } from './pages.ts';

/**
 * Whether a passkey of this storefront can belong to this host (one of its own, not the service's).
 * The ceremony routes check the page's exact origin; a page only needs to know whether to offer.
 */
export function passkeyHostOf(tenant: Tenant, hostname: string): boolean {
  return tenant.hosts.includes(hostname);
}

export async function landingAfterSignIn(
  db: Db,
  where: { tenant: Tenant; hostname: string },
  visitorId: string,
  returnTo: string,
): Promise<string> {
  if (!passkeyHostOf(where.tenant, where.hostname)) return returnTo;
  if (await hasLivePasskey(db, visitorId, where.hostname)) return returnTo;
  return passkeyOfferPath(returnTo);
}
