// The console's reserved internal tenant. Operators sign in as its visitors, so the ordinary sign-in
// machinery (token, outbox, single-use consume) works unchanged. Its handle `_console` is outside the
// handle grammar (only an internal row may have it, sql/0014), so no visitor route, credential or
// CLI verb can name it; it has no edge host and an origin in the reserved `.invalid` TLD. Created
// by `operator add` (a deployment without operators has no such row).
import type { Db } from '../db/db.ts';
import { ensureInternalTenant, findTenantByHandle, type Tenant } from '../tenants/tenants.ts';

export const CONSOLE_HANDLE = '_console';
const CONSOLE_NAME = 'Visitor Access support console';
/** The console's links: `{PUBLIC_URL}/console/t/{token}`. */
export const CONSOLE_LINK_PATH = '/console/t/';
/** The returnTo stored with console links: not a URL, so no visitor route ever produces it. */
export const CONSOLE_RETURN_TO = 'console:';
/**
 * The console tenant row's session TTL. What sessions get, and what session.ts enforces on every
 * request, is CONSOLE_SESSION_TTL (default the same 12 h) and CONSOLE_IDLE_TIMEOUT (30 min).
 */
const CONSOLE_SESSION_SECONDS = 12 * 3600;

export async function ensureConsoleTenant(db: Db): Promise<void> {
  await ensureInternalTenant(db, {
    handle: CONSOLE_HANDLE,
    name: CONSOLE_NAME,
    origin: 'https://console.invalid',
    sessionTtlSeconds: CONSOLE_SESSION_SECONDS,
  });
}

/** The console tenant, or null while no operator was ever added. The handle can only be internal. */
export async function findConsoleTenant(db: Db): Promise<Tenant | null> {
  return findTenantByHandle(db, CONSOLE_HANDLE);
}
