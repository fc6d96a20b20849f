// How a confirmation page may be reached. A link from another site must not land a signed-in
// operator on a pre-filled "grant /* to attacker@…" one click from done, so a confirmation shows
// its values only when the console itself chose them:
// - a GET link made by the console's own pages carries a seal: an HMAC of the storefront and the
//   values, keyed with the session's own CSRF token (so no other site and no other session can
//   make one; a seal leaks nothing of the token);
// - a form whose values the operator typed (a new grant) reaches it by POST, checked like every
//   console form (Origin + the session's CSRF token).
// A GET without a valid seal, or any GET arriving from another site, goes back to the shopper's or
// storefront's page instead.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { encodeBase64urlNoPadding } from '@oslojs/encoding';
import { normaliseEmail } from '../visitors/email.ts';
import { shopperHref, webhooksHref } from './hrefs.ts';

const SEAL_PARAM = 'seal';
const HANDLE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** One text per (storefront, values): names sorted, the seal itself left out. */
function sealedText(handle: string, params: Record<string, string | undefined>): string {
  const entries = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[0] !== SEAL_PARAM && typeof entry[1] === 'string')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `console-confirm\n${handle}\n${new URLSearchParams(entries)}`;
}

function sealOf(csrfToken: string, handle: string, params: Record<string, string | undefined>): Uint8Array {
  return createHmac('sha256', csrfToken).update(sealedText(handle, params)).digest();
}

/** The confirmation page of an action, as a link of this session's console pages. */
export function confirmHref(csrfToken: string, handle: string, params: Record<string, string>): string {
  const seal = encodeBase64urlNoPadding(sealOf(csrfToken, handle, params));
  return `/console/tenants/${handle}/confirm?${new URLSearchParams({ ...params, [SEAL_PARAM]: seal })}`;
}

/** Whether the query's values were chosen by this session's console pages (constant time). */
export function confirmSealValid(csrfToken: string, handle: string, query: Record<string, string | undefined>): boolean {
  const given = query[SEAL_PARAM];
  if (typeof given !== 'string') return false;
  const expected = encodeBase64urlNoPadding(sealOf(csrfToken, handle, query));
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/**
 * A navigation from another site (`Sec-Fetch-Site: cross-site` or `same-site`): never a
 * confirmation, whatever it carries. `none` (typed, a bookmark) and old browsers that send no
 * header still need the seal.
 */
export function arrivedFromElsewhere(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site');
  return site === 'cross-site' || site === 'same-site';
}

/** Where a confirmation from elsewhere goes instead: the shopper's page, else the storefront's. */
export function pageOfConfirmation(handle: string, query: Record<string, string | undefined>): string {
  if (!HANDLE.test(handle)) return '/console/';
  if (query.action?.startsWith('webhook-')) return webhooksHref(handle);
  const email = normaliseEmail(query.email);
  return email ? shopperHref(handle, email) : `/console/tenants/${handle}`;
}
