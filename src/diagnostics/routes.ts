// GET /_edge/visitor/diagnostics — a page a shopper opens when support asks: did the session cookie
// arrive, does this browser keep a test cookie (set here, checked on a second request), is the
// session live, which storefront, when, and the request id — plus a "copy for support" block with
// exactly those facts. Never the cookie value. JSON with `Accept: application/json`.
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { cookieString, seeOther, setHostCookie, type CookieJar } from '../http/cookies.ts';
import { html, pageHeaders, supportContactHref, storefrontPage } from '../http/html.ts';
import { languageHeaders, negotiateLocale } from '../i18n/locales.ts';
import { messagesFor } from '../i18n/messages.ts';
import { operation, PUBLIC } from '../openapi/schemas.ts';
import { routeContext } from '../route-context.ts';
import { SESSION_COOKIE } from '../sessions/sessions.ts';

/** Exported so a completed sign-in can clear it (src/magic-link/sign-in-cookies.ts). */
export const DIAG_COOKIE = '__Host-visitor_diag';

const Facts = t.Object({
  storefront: t.String(),
  time: t.String({ format: 'date-time' }),
  requestId: t.String(),
  sessionCookieArrived: t.Boolean(),
  testCookieKept: t.Boolean(),
  sessionLive: t.Boolean(),
  visitorId: t.Nullable(t.String()),
  sessionId: t.Nullable(t.String()),
  userAgent: t.Nullable(t.String()),
});

export function diagnosticsRoutes(deps: AppDeps) {
  return new Elysia({ name: 'diagnostics' }).use(routeContext(deps)).get(
    '/_edge/visitor/diagnostics',
    async ({ ctx, request, query, cookie, set }) => {
      const jar = cookie as CookieJar;
      const tenant = await ctx.hostTenant();
      if (!tenant) throw new AppError('not_found', { detail: 'Open this page on the storefront’s own site.' });
      ctx.facts.tenantId = tenant.id;
      const checked = query.check === '1';
      const testCookie = cookieString(jar, DIAG_COOKIE);
      if (!checked && !testCookie) {
        // First visit: set the test cookie and come back once to see whether it was kept.
        setHostCookie(jar, DIAG_COOKIE, '1', 600);
        return seeOther(set, '/_edge/visitor/diagnostics?check=1');
      }
      const sessionCookie = cookieString(jar, SESSION_COOKIE);
      const session = sessionCookie ? await ctx.presentedSession().catch(() => null) : null;
      const live = session !== null && session.tenant_id === tenant.id;
      if (live) Object.assign(ctx.facts, { visitorId: session.visitor_id, sessionId: session.id });
      const facts = {
        storefront: tenant.handle,
        time: deps.clock.now().toISOString(),
        requestId: ctx.requestId,
        sessionCookieArrived: sessionCookie !== undefined,
        testCookieKept: testCookie !== undefined,
        sessionLive: live,
        visitorId: live ? session.visitor_id : null,
        sessionId: live ? session.id : null,
        userAgent: ctx.userAgent,
      };
      if ((request.headers.get('accept') ?? '').includes('application/json')) return facts;
      const locale = negotiateLocale(request.headers.get('accept-language'), tenant.locale);
      const m = messagesFor(locale).diagnostics;
      // The copy for support stays in English field names and values: support reads it, not the shopper.
      const copy = Object.entries(facts)
        .map(([name, value]) => `${name}: ${value === null ? '-' : typeof value === 'boolean' ? (value ? 'yes' : 'no') : value}`)
        .join('\n');
      const yesNo = (value: boolean) => (value ? m.yes : m.no);
      const advice = !facts.testCookieKept
        ? html`<p><strong>${m.noCookies}</strong> ${m.noCookiesAdvice}</p>`
        : !facts.sessionLive
          ? html`<p>${m.notSignedIn(html`<a href="/_edge/visitor/sign-in">${m.signIn}</a>`)}</p>`
          : html`<p>${m.allGood}</p><p><a href="/_edge/visitor/emails" data-addresses-link>${messagesFor(locale).addresses.title}</a></p>`;
      Object.assign(set.headers, pageHeaders(tenant));
      languageHeaders(set.headers, locale);
      return storefrontPage(
        { tenant, requestId: ctx.requestId, locale },
        {
          title: m.title,
          body: html`${advice}
<dl class="facts">
<dt>${m.sessionCookieArrived}</dt><dd>${yesNo(facts.sessionCookieArrived)}</dd>
<dt>${m.testCookieKept}</dt><dd>${yesNo(facts.testCookieKept)}</dd>
<dt>${m.sessionLive}</dt><dd>${yesNo(facts.sessionLive)}</dd>
<dt>${m.storefront}</dt><dd>${tenant.name} (${tenant.handle})</dd>
<dt>${m.time}</dt><dd>${facts.time}</dd>
</dl>
<p>${m.copyIntro(tenant.supportContact ? html`<a href="${supportContactHref(tenant.supportContact)}">${tenant.supportContact}</a>` : m.support)}</p>
<pre class="copy" aria-label="${m.copyLabel}">${copy}</pre>`,
        },
      );
    },
    {
      query: t.Object({ check: t.Optional(t.String({ maxLength: 8, description: '`1` on the second visit.' })) }),
      // Not Elysia's `response` (it would check the HTML answer against the JSON schema): documented only.
      detail: operation({
        summary: 'What this browser sends and keeps, for support (HTML; JSON with Accept: application/json)',
        tags: ['pages', 'support'],
        security: PUBLIC,
        errors: ['not_found'],
        bare: { 303: 'First visit: sets a test cookie and comes back with ?check=1.' },
        documentedJson: {
          200: { description: 'The facts (JSON for `Accept: application/json`, else a page).', schema: Facts, alsoHtml: true },
        },
      }),
    },
  );
}
