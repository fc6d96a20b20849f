// The cookies of the way in: the sealed pending address behind the check-email page, the test
// cookie's lifetime, and the session cookie that ends a sign-in (and clears the others).
import type { AppDeps } from '../app-deps.ts';
import { DIAG_COOKIE } from '../diagnostics/routes.ts';
import { clearHostCookie, seeOther, setHostCookie, type CookieJar, type SetContext } from '../http/cookies.ts';
import { CHECK_COOKIE, PENDING_COOKIE, SESSION_COOKIE } from '../sessions/sessions.ts';
import { seal } from '../tokens/sealed.ts';
import type { LinkRow } from './queries.ts';

export const PENDING_SECONDS = 900;
/**
 * What the pending cookie holds (sealed). `id`: the browser's pending sign-in (`vps_…`, see
 * pending.ts), absent when none was started (a reissue, a cookie from before pending sign-ins).
 */
export type Pending = { handle: string; email: string; returnTo: string; id?: string };

/** Cookies of the way in: once signed in they have served their purpose (and the pending one holds the address). */
const SIGN_IN_COOKIES = [CHECK_COOKIE, PENDING_COOKIE, DIAG_COOKIE];

/** Every sign-in that sets the session cookie goes through here, so every one clears the rest. */
export function setSessionCookie(jar: CookieJar, token: string, maxAge: number): void {
  setHostCookie(jar, SESSION_COOKIE, token, maxAge);
  for (const name of SIGN_IN_COOKIES) clearHostCookie(jar, name);
}

/** Remembers address, returnTo and the pending sign-in (encrypted) for this browser's check-email page and polls. */
export async function setPendingCookie(keys: AppDeps['keys'], jar: CookieJar, pending: Pending, maxAge = PENDING_SECONDS): Promise<void> {
  setHostCookie(jar, PENDING_COOKIE, await seal(keys, 'cookie', pending, PENDING_COOKIE), maxAge);
}

/** After a link is requested by a browser form: remember address + returnTo (encrypted), show check-email. */
export async function toCheckEmail(
  keys: AppDeps['keys'],
  jar: CookieJar,
  set: SetContext,
  pending: Pending,
  maxAge = PENDING_SECONDS,
): Promise<string> {
  await setPendingCookie(keys, jar, pending, maxAge);
  return seeOther(set, '/_edge/visitor/check-email');
}

/** The test cookie lives as long as the link it tests. */
export function checkCookieSeconds(deps: Pick<AppDeps, 'clock' | 'config'>, link: LinkRow): number {
  return link.expires_at
    ? Math.max(1, Math.ceil((link.expires_at.getTime() - deps.clock.now().getTime()) / 1000))
    : deps.config.magicLinkTtlSeconds;
}
