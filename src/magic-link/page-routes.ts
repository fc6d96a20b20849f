// The hosted sign-in and check-email pages (on the storefront host, no JavaScript needed; the
// check-email page's script only spares the reload that finishes a sign-in approved elsewhere).
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { cookieString, seeOther, setHostCookie, type CookieJar } from '../http/cookies.ts';
import { isLoopback } from '../net/cidr.ts';
import { operation, PUBLIC, Text } from '../openapi/schemas.ts';
import { type RouteContext, routeContext } from '../route-context.ts';
import { CHECK_COOKIE, PENDING_COOKIE } from '../sessions/sessions.ts';
import { unseal } from '../tokens/sealed.ts';
import { checkEmailPage, signInPage, type WaitingBox } from './pages.ts';
import { pendingChecker, type PendingCheck } from './pending-routes.ts';
import { PENDING_SCRIPT_PATH } from './pending-script.ts';
import { messagesFor } from '../i18n/messages.ts';
import { resolveReturnTo } from './return-to.ts';
import { pageLocale } from './link-pages.ts';
import { pageHeaders } from '../http/html.ts';
import type { Pending } from './sign-in-cookies.ts';
import { passkeySignInBox } from '../passkeys/pages.ts';

/**
 * No storefront lives on this host. In development, someone who opened the service by its loopback
 * address (127.0.0.1, [::1]) is told the address that works: PUBLIC_URL, where the demo storefront
 * is (and the only plain-http host on which browsers keep `__Host-` cookies is localhost). Never in
 * production, where the answer names nothing of the deployment.
 */
function notAStorefront(config: AppDeps['config'], ctx: RouteContext): AppError {
  const publicUrl = new URL(config.publicUrl);
  const hint =
    config.nodeEnv === 'development' && isLoopback(ctx.hostname) && ctx.hostname !== publicUrl.hostname.replace(/^\[|\]$/g, '')
      ? ` Open ${publicUrl.origin}${new URL(ctx.request.url).pathname} instead.`
      : '';
  return new AppError('not_found', { detail: `This host is not a storefront.${hint}` });
}

/** The check-email page's box for this browser's pending sign-in, if it has one. */
function waitingBoxOf(check: PendingCheck): WaitingBox | undefined {
  if (check.kind === 'waiting') return { state: 'waiting', number: check.pending.number, script: PENDING_SCRIPT_PATH };
  if (check.kind === 'rejected' || check.kind === 'ended') return { state: check.kind };
  return undefined;
}

export function hostedPageRoutes(deps: AppDeps) {
  const { config, keys } = deps;
  const checkPending = pendingChecker(deps);

  /** This browser's pending sign-in on this storefront (the sealed cookie), if any. */
  async function pendingFor(jar: CookieJar, handle: string): Promise<Pending | null> {
    const sealed = cookieString(jar, PENDING_COOKIE);
    const pending = sealed ? await unseal<Pending>(keys, 'cookie', sealed, PENDING_COOKIE) : null;
    return pending?.handle === handle ? pending : null;
  }

  return new Elysia({ name: 'magic-link-pages' })
    .use(routeContext(deps))
    .get(
      '/_edge/visitor/sign-in',
      async ({ ctx, query, set, cookie }) => {
        const tenant = await ctx.hostTenant();
        if (!tenant) throw notAStorefront(config, ctx);
        const locale = pageLocale(ctx, set, tenant);
        const home = ctx.linkOrigin(tenant);
        // A destination we do not send people to: the form still, with the shop's home page in its
        // place and a word why (400, the API's code), never a dead end.
        let returnTo: string;
        let notice: { message: string; code: string } | undefined;
        try {
          returnTo = resolveReturnTo(query.returnTo, tenant, home);
        } catch {
          returnTo = resolveReturnTo(undefined, tenant, home);
          notice = { message: messagesFor(locale).signIn.invalidReturnTo, code: 'invalid_return_to' };
          set.status = 400;
          ctx.facts.code = notice.code;
        }
        const pending = await pendingFor(cookie as CookieJar, tenant.handle);
        // The passkey box's script (hidden without WebAuthn); the form works without it.
        Object.assign(set.headers, pageHeaders(tenant, { script: true }));
        // "Not you? Change it" and "send me a new sign-in email" land here: keep the address to correct.
        const passkeys = passkeySignInBox(locale, returnTo);
        return signInPage({ tenant, requestId: ctx.requestId, locale, returnTo, email: pending?.email, notice, passkeys });
      },
      {
        // returnTo is judged by the handler: a bad one is the form still, with a word why.
        query: t.Object({
          returnTo: t.Optional(Text({ description: 'Where to go once signed in (as for POST /v2/visitor/auth/magic-link).' })),
        }),
        detail: operation({
          summary: 'The hosted sign-in page: an email form posting to /v2/visitor/auth/magic-link',
          tags: ['pages', 'sign-in'],
          security: PUBLIC,
          errors: ['invalid_return_to', 'not_found'],
          html: { 200: 'The page.' },
        }),
      },
    )
    .get(
      '/_edge/visitor/check-email',
      async ({ ctx, set, cookie }) => {
        const tenant = await ctx.hostTenant();
        if (!tenant) throw notAStorefront(config, ctx);
        const jar = cookie as CookieJar;
        const mine = await pendingFor(jar, tenant.handle);
        // Approved on the other device meanwhile: this load (a reload, or "continue" without
        // JavaScript) finishes the sign-in like the page's script would.
        const check = await checkPending(ctx, jar, tenant, mine);
        if (check.kind === 'signed_in') return seeOther(set, check.returnTo);
        const waiting = waitingBoxOf(check);
        Object.assign(set.headers, pageHeaders(tenant, { script: waiting?.state === 'waiting' }));
        // The code form posts back here: test now whether this browser keeps cookies.
        setHostCookie(cookie as CookieJar, CHECK_COOKIE, '1', config.magicLinkTtlSeconds);
        return checkEmailPage({
          tenant,
          requestId: ctx.requestId,
          locale: pageLocale(ctx, set, tenant),
          pending: mine && { email: mine.email, returnTo: mine.returnTo },
          ...(waiting ? { waiting } : {}),
        });
      },
      {
        detail: operation({
          summary: 'The "check your email" page: the address, the code form, and the pending sign-in’s number',
          tags: ['pages', 'sign-in'],
          security: PUBLIC,
          errors: ['not_found'],
          html: { 200: 'The page (sets the test cookie `__Host-visitor_check`).' },
          bare: { 303: 'Approved on the other device meanwhile: signed in, to the returnTo.' },
        }),
      },
    );
}
