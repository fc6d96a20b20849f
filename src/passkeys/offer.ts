// Where a browser's sign-in by link or code lands: on the offer page ("Sign in faster next time")
// when the browser can make a passkey, the shopper is on one of the storefront's own hosts, and has
// no passkey there yet; otherwise straight on to returnTo. Whether the browser can is noted by the
// passkey script (sign-in and link pages) in a cookie: a hint, no secret; without the script (curl,
// no JavaScript, no platform authenticator) nothing changes.
import type { Db } from '../db/db.ts';
import { cookieString, type CookieJar } from '../http/cookies.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { hasLivePasskey } from './passkeys.ts';
import { passkeyOfferPath } from './pages.ts';

/** Set by the passkey script (`1`, a day) when the browser has a platform authenticator. */
export const PASSKEY_CAPABLE_COOKIE = '__Host-visitor_passkey';

export function passkeyCapable(jar: CookieJar): boolean {
  return cookieString(jar, PASSKEY_CAPABLE_COOKIE) === '1';
}

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
