// A bad link on the link page: 409 used and 410 expired are pages (the shopper's browser is there),
// an invalid one is the problem answer (400).
import { type CookieJar, type SetContext, setHostCookie } from '../http/cookies.ts';
import { pageHeaders } from '../http/html.ts';
import { type Locale, languageHeaders, negotiateLocale } from '../i18n/locales.ts';
import type { RouteContext } from '../route-context.ts';
import { CHECK_COOKIE } from '../sessions/sessions.ts';
import type { Tenant } from '../tenants/tenants.ts';
import type { BadLink } from './confirm.ts';
import { linkStateError } from './magic-link.ts';
import { CODE_PAGE_PATH, cookieBlockedPage, expiredPage, usedPage } from './pages.ts';

/** The language of a shopper's request (Accept-Language, then the tenant's default): its mail's and its pages'. */
export function requestLocale(ctx: RouteContext, tenant: Tenant): Locale {
  return negotiateLocale(ctx.request.headers.get('accept-language'), tenant.locale);
}

/** A hosted page's language, with the headers that say so (Content-Language, Vary: Accept-Language). */
export function pageLocale(ctx: RouteContext, set: SetContext, tenant: Tenant): Locale {
  const locale = requestLocale(ctx, tenant);
  languageHeaders(set.headers, locale);
  return locale;
}

/** Renders a bad link's page (410 / 409), or throws its problem (400). */
export function badLinkPage(ctx: RouteContext, set: SetContext, tenant: Tenant, state: BadLink, action: string, now: Date): string {
  if (state.kind === 'used') {
    set.status = 409;
    ctx.facts.code = 'used_magic_link';
    Object.assign(set.headers, pageHeaders(tenant));
    return usedPage({
      tenant,
      requestId: ctx.requestId,
      locale: pageLocale(ctx, set, tenant),
      usedAt: state.usedAt,
      now,
      what: 'link',
      returnTo: state.link.return_to,
    });
  }
  if (state.kind === 'expired') {
    set.status = 410;
    ctx.facts.code = 'expired_magic_link';
    Object.assign(set.headers, pageHeaders(tenant));
    return expiredPage({
      tenant,
      requestId: ctx.requestId,
      locale: pageLocale(ctx, set, tenant),
      expiredAt: state.expiredAt,
      now,
      reissue: { what: 'link', action: `${action}/reissue` },
    });
  }
  throw linkStateError(state);
}

/**
 * The answer when a browser did not send back the check cookie: sets it (for `checkSeconds`) and
 * renders the cookie-blocked page (400). Whatever was presented — link, code, handoff — stays
 * unused, so the same step works once cookies are allowed; `action` re-posts it from the page.
 */
export function cookieBlockedAnswer(
  ctx: RouteContext,
  set: SetContext,
  jar: CookieJar,
  tenant: Tenant,
  { checkSeconds, action }: { checkSeconds: number; action?: string },
): string {
  setHostCookie(jar, CHECK_COOKIE, '1', checkSeconds);
  set.status = 400;
  ctx.facts.code = 'cookie_blocked';
  Object.assign(set.headers, pageHeaders(tenant));
  return cookieBlockedPage({
    tenant,
    requestId: ctx.requestId,
    locale: pageLocale(ctx, set, tenant),
    ...(action === undefined ? {} : { action }),
    codePageUrl: `${ctx.linkOrigin(tenant)}${CODE_PAGE_PATH}`,
  });
}
