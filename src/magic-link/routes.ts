// Routes of the sign-in flow: request a link, the link page (GET shows, POST consumes), and the
// fresh link for an expired one. Verify and the hosted pages are their own plugins, composed here.
import { Elysia, t } from 'elysia';
import { sessionTtlFor, type AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf } from '../http/body.ts';
import { cookieString, seeOther, setHostCookie, type CookieJar, type SetContext } from '../http/cookies.ts';
import { assertOriginAllowed } from '../http/csrf.ts';
import { messagesFor } from '../i18n/messages.ts';
import type { LimitResult } from '../limits/limiter.ts';
import { IsoTime, operation, PUBLIC, serverCaller, Text } from '../openapi/schemas.ts';
import { routeContext, type RouteContext } from '../route-context.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { endSupersededOrderSession } from '../sessions/current.ts';
import { CHECK_COOKIE } from '../sessions/sessions.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { recordSecurityEvent } from '../audit/security-events.ts';
import { admitSignIn } from './admission.ts';
import { confirmLink } from './confirm.ts';
import { linkToReissue, requestMagicLink } from './magic-link.ts';
import { approvedElsewherePage, confirmPage, type FieldError, numberMismatchPage, pendingEndedPage, signInPage } from './pages.ts';
import { resolveReturnTo } from './return-to.ts';
import { enforceLinkLimits } from './link-limits.ts';
import { badLinkPage, cookieBlockedAnswer, pageLocale, requestLocale } from './link-pages.ts';
import { pageHeaders } from '../http/html.ts';
import { auditVisitor, heldSessionId, linkDepsOf, linkTenant, presenterOf } from './link-state.ts';
import { serverTenant } from './server-tenant.ts';
import { checkCookieSeconds, PENDING_SECONDS, setPendingCookie, setSessionCookie, toCheckEmail } from './sign-in-cookies.ts';
import { invalid } from '../http/body.ts';
import { isInAppBrowser } from './in-app.ts';
import { answerPending, approvablePending, mintPending, supersede } from './pending.ts';
import { insertUnlinkedPending } from './pending-queries.ts';
import { pendingCookie, pendingRoutes, wakeupsOf } from './pending-routes.ts';
import type { LinkRow } from './queries.ts';
import { hostedPageRoutes } from './page-routes.ts';
import { verifyRoutes } from './verify-routes.ts';
import { landingAfterSignIn, passkeyCapable, passkeyHostOf } from '../passkeys/offer.ts';
import { PASSKEY_SCRIPT_PATH } from '../passkeys/passkey-script.ts';

/** The link page's path parameter. */
const LinkToken = t.Object({ token: Text({ description: 'The link token (`vml_…`) from the sign-in mail.' }) });

/** What a request for a mail answers (JSON): the same for every well-formed address. */
const Sent = t.Object(
  {
    status: t.Literal('sent'),
    requestId: t.String({ description: 'This request’s id (also in X-Request-Id).' }),
  },
  { description: 'Sent (or, past a per-email limit, not: the same answer).' },
);

export function magicLinkRoutes(deps: AppDeps) {
  const { config, keys, clock, db, logger } = deps;
  const linkDeps = linkDepsOf(deps);
  const wakeups = wakeupsOf(deps);

  /** The link's validity for this storefront: a pending sign-in lives as long as its link. */
  const linkTtlOf = (tenant: Tenant) => tenant.magicLinkTtlSeconds ?? config.magicLinkTtlSeconds;

  /**
   * The number choice a valid link's page offers: a pending sign-in of its own that still waits and
   * that this browser does not hold (it would be approving itself).
   */
  async function otherScreenOf(jar: CookieJar, link: LinkRow) {
    const held = await pendingCookie(keys, jar);
    return approvablePending(linkDeps, link.id, held?.id ?? null);
  }

  /** A shopper's link as the link page's GET and POST both present it to confirmLink. */
  function shopperLink(ctx: RouteContext, tenant: Tenant, token: string) {
    return { tenant, token, presenter: presenterOf(ctx), heldSessionId: () => heldSessionId(ctx), facts: ctx.facts };
  }

  /** Past a per-email limit: the same answer, no mail — nobody can probe or flood an address. */
  async function suppressMail(ctx: RouteContext, tenant: Tenant, limits: LimitResult) {
    await recordSecurityEvent(db, {
      tenantId: tenant.id,
      visitorId: null,
      kind: 'sign_in_mail_limit_reached',
      requestId: ctx.requestId,
      ip: ctx.clientIp,
      userAgent: ctx.userAgent,
      detail: { policies: limits.outcomes.filter((o) => o.policy.silent && o.exceeded).map((o) => o.policy.name) },
      now: clock.now(),
    });
    await auditVisitor(deps, ctx, tenant, 'sign_in_mail_suppressed', { detail: { reason: 'per-email limit' } });
    logger.warn('per-email sign-in limit reached; no mail sent', { requestId: ctx.requestId, tenant: tenant.handle });
  }

  /** Counts one more sign-in mail to `email` against the per-email limits alone; false once past them. */
  async function mailBudgetLeft(ctx: RouteContext, tenant: Tenant, email: string): Promise<boolean> {
    const limits = await deps.limiter.hit('magic-link', tenant.id, { email });
    if (!limits.silentExceeded) return true;
    await suppressMail(ctx, tenant, limits);
    return false;
  }

  /**
   * A browser form's refused sign-in request: the form again (400, the same code as the API's
   * problem), what was typed kept, the error beside the email field or, for a destination we do
   * not send people to, said above the form with the shop's home page put in its place.
   */
  function signInFormAgain(
    ctx: RouteContext,
    set: SetContext,
    tenant: Tenant,
    input: { email: string; returnTo: unknown; emailRefused: boolean },
  ): string {
    const locale = pageLocale(ctx, set, tenant);
    const m = messagesFor(locale).signIn;
    let returnTo: string;
    let notice: { message: string; code: string } | undefined;
    try {
      returnTo = resolveReturnTo(input.returnTo, tenant);
    } catch {
      returnTo = resolveReturnTo(undefined, tenant);
      notice = { message: m.invalidReturnTo, code: 'invalid_return_to' };
    }
    const error: FieldError | undefined = input.emailRefused
      ? { field: 'email', message: m.invalidEmail, code: 'invalid_email' }
      : undefined;
    set.status = 400;
    ctx.facts.code = error?.code ?? notice?.code;
    Object.assign(set.headers, pageHeaders(tenant));
    return signInPage({ tenant, requestId: ctx.requestId, locale, returnTo, email: input.email, error, notice });
  }

  /**
   * "Sign in on my other screen": the number picked here approves the waiting browser's pending
   * sign-in (the right one) or rejects it (any other); the link is used up either way and nothing
   * is set on this browser, so no test cookie is needed (CSRF was checked).
   */
  async function pickNumber(ctx: RouteContext, set: SetContext, jar: CookieJar, tenant: Tenant, token: string, match: string) {
    if (!/^[1-9][0-9]$/.test(match)) throw invalid('match', 'Pick one of the two-digit numbers shown.');
    const action = `/_edge/visitor/access/t/${token}`;
    const locale = pageLocale(ctx, set, tenant);
    const look = () => confirmLink(linkDeps, shopperLink(ctx, tenant, token));
    let outcome = await look();
    if (outcome.kind === 'valid') {
      const pending = await otherScreenOf(jar, outcome.link);
      Object.assign(set.headers, pageHeaders(tenant));
      if (!pending) {
        set.status = 410;
        ctx.facts.code = 'pending_expired';
        return pendingEndedPage({ tenant, requestId: ctx.requestId, locale, action });
      }
      const answer = await answerPending(linkDeps, pending, Number(match), presenterOf(ctx));
      if (answer.ok) {
        wakeups.wake(pending.id);
        if (answer.approved) {
          logger.info('sign-in approved for another device', {
            requestId: ctx.requestId,
            tenant: tenant.handle,
            visitorId: pending.visitor_id,
          });
          return approvedElsewherePage({ tenant, requestId: ctx.requestId, locale });
        }
        logger.warn('wrong number picked for a pending sign-in', {
          requestId: ctx.requestId,
          tenant: tenant.handle,
          visitorId: pending.visitor_id,
        });
        set.status = 409;
        ctx.facts.code = 'number_mismatch';
        return numberMismatchPage({ tenant, requestId: ctx.requestId, locale, returnTo: outcome.link.return_to });
      }
      // The link was used or expired meanwhile: say so as for any link.
      outcome = await look();
    }
    if (outcome.kind === 'held') return seeOther(set, outcome.link.return_to);
    if (outcome.kind === 'bad') return badLinkPage(ctx, set, tenant, outcome.state, action, clock.now());
    throw new AppError('invalid_magic_link');
  }

  return new Elysia({ name: 'magic-link' })
    .use(routeContext(deps))
    .onBeforeHandle(({ request, set }) => {
      // The link page: never leak the token by Referer, never cache, never index.
      if (new URL(request.url).pathname.startsWith('/_edge/visitor/access/t/')) {
        set.headers['referrer-policy'] = 'no-referrer';
        set.headers['cache-control'] = 'no-store';
        set.headers['x-robots-tag'] = 'noindex';
      }
    })
    .post(
      '/v2/visitor/auth/magic-link',
      async ({ ctx, request, body, set, cookie }) => {
        using _admitted = admitSignIn(deps); // before any database work: 503 beyond SIGN_IN_MAX_IN_FLIGHT
        // A storefront server may ask on a shopper's behalf (right after checkout) with visitor:write.
        const server = await ctx.caller();
        const tenant = server ? await serverTenant(deps, ctx, server, body.handle) : (await ctx.visitorTenant(body.handle)).tenant;
        const form = bodyKindOf(request) === 'form';
        if (form) assertOriginAllowed(request, tenant, config);
        const email = normaliseEmail(body.email);
        if (!email) {
          if (form) return signInFormAgain(ctx, set, tenant, { email: body.email, returnTo: body.returnTo, emailRefused: true });
          throw new AppError('invalid_email', { detail: 'Enter a valid email address, like name@example.com.' });
        }
        let returnTo: string;
        try {
          returnTo = resolveReturnTo(body.returnTo, tenant);
        } catch (error) {
          if (form) return signInFormAgain(ctx, set, tenant, { email: body.email, returnTo: body.returnTo, emailRefused: false });
          throw error;
        }
        // Same work and same answer for every well-formed address: no account enumeration.
        // Server callers: per-tenant (and per-email) limits apply, per-IP ones do not.
        // Counted, and the link written, together with the other sign-in requests of this turn.
        const limits = await ctx.enforceLimits(
          'magic-link',
          tenant.id,
          { ip: server ? undefined : ctx.clientIp, tenant: tenant.id, email },
          undefined,
          { batch: true },
        );
        // A browser (not a storefront server) waits for its sign-in: a pending sign-in bound to it,
        // started the same way whether or not a mail goes out, so its answer tells nothing either.
        const pending = server
          ? undefined
          : mintPending(deps, { linkTtlSeconds: linkTtlOf(tenant), requestId: ctx.requestId, ip: ctx.clientIp, userAgent: ctx.userAgent });
        const previous = server ? null : await pendingCookie(keys, cookie as CookieJar);
        if (previous?.id && previous.handle === tenant.handle) await supersede(linkDeps, tenant, previous.id);
        if (limits.silentExceeded) {
          await suppressMail(ctx, tenant, limits);
          if (pending) await insertUnlinkedPending(db, tenant.id, pending.row, clock.now());
        } else {
          const { visitorId } = await requestMagicLink(linkDeps, {
            tenant,
            email,
            returnTo,
            linkOrigin: ctx.linkOrigin(tenant),
            requestId: ctx.requestId,
            locale: requestLocale(ctx, tenant),
            ...(pending ? { pending: pending.row } : {}),
            batch: true,
          });
          ctx.facts.visitorId = visitorId;
        }
        const jar = cookie as CookieJar;
        const remembered = { handle: tenant.handle, email, returnTo, ...(pending ? { id: pending.token } : {}) };
        const cookieSeconds = Math.max(PENDING_SECONDS, linkTtlOf(tenant) + 300);
        if (form) return toCheckEmail(keys, jar, set, remembered, cookieSeconds);
        set.status = 202;
        if (!pending) return { status: 'sent', requestId: ctx.requestId };
        await setPendingCookie(keys, jar, remembered, cookieSeconds);
        return {
          status: 'sent',
          requestId: ctx.requestId,
          pending: { number: pending.number, expiresAt: pending.expiresAt.toISOString() },
        };
      },
      {
        // email and returnTo are judged by the handler, not the schema: a browser form's bad value
        // gets the form again with the error beside the field, not a bare problem.
        body: t.Object({
          handle: t.Optional(Text({ maxLength: 64, description: 'The storefront; required on a host no storefront owns.' })),
          email: Text({ maxLength: 512, description: 'The shopper’s address (a malformed one is 400 invalid_email).' }),
          returnTo: t.Optional(
            Text({ description: 'Where the link leads: an absolute URL on an allowed origin, or a path. Default: the storefront’s `/`.' }),
          ),
        }),
        response: {
          202: t.Composite(
            [
              Sent,
              t.Object({
                pending: t.Optional(
                  t.Object(
                    {
                      number: t.Integer({ minimum: 10, maximum: 99, description: 'The number the link page will ask to pick.' }),
                      expiresAt: IsoTime('When the pending sign-in ends if the mail goes out now.'),
                    },
                    { description: 'A browser’s request only: its pending sign-in.' },
                  ),
                ),
              }),
            ],
            { description: 'Sent (or, past a per-email limit, not: the same answer).' },
          ),
        },
        detail: operation({
          summary: 'Ask for a sign-in link and code by email (202 for every well-formed address)',
          description:
            'A browser’s request starts a pending sign-in (the `__Host-visitor_pending` cookie and `pending` in the answer); a storefront server’s (visitor:write) does not.',
          tags: ['sign-in'],
          security: [{}, ...serverCaller('visitor:write')],
          errors: [
            'invalid_email',
            'invalid_return_to',
            'unauthorized',
            'insufficient_scope',
            'wrong_tenant',
            'csrf_rejected',
            'unknown_handle',
            'rate_limited',
          ],
          bare: { 303: 'Form: to /_edge/visitor/check-email (the pending cookie set).' },
          rateLimited: true,
          idempotent: true,
          forms: true,
        }),
      },
    )
    .get(
      '/_edge/visitor/access/t/:token',
      async ({ ctx, params, set, cookie }) => {
        const jar = cookie as CookieJar;
        const tenant = await linkTenant(ctx);
        if (!tenant) throw new AppError('invalid_magic_link');
        await enforceLinkLimits(keys, ctx, tenant, params.token);
        const action = `/_edge/visitor/access/t/${params.token}`;
        // GET never consumes (mail scanners prefetch links): it shows a button and sets a test cookie.
        const outcome = await confirmLink(linkDeps, shopperLink(ctx, tenant, params.token));
        if (outcome.kind === 'held') return seeOther(set, outcome.link.return_to);
        if (outcome.kind !== 'valid')
          return badLinkPage(ctx, set, tenant, outcome.kind === 'bad' ? outcome.state : { kind: 'invalid' }, action, clock.now());
        await auditVisitor(deps, ctx, tenant, 'link_opened', { visitorId: outcome.link.visitor_id, detail: { linkId: outcome.link.id } });
        setHostCookie(jar, CHECK_COOKIE, '1', checkCookieSeconds(deps, outcome.link));
        const other = await otherScreenOf(jar, outcome.link);
        const inApp = isInAppBrowser(ctx.userAgent);
        // On the storefront's own host (a passkey's home) the script notes whether this browser can make one.
        const passkeyScript = !inApp && passkeyHostOf(tenant, ctx.hostname) ? PASSKEY_SCRIPT_PATH : undefined;
        Object.assign(set.headers, pageHeaders(tenant, { script: passkeyScript !== undefined }));
        return confirmPage({
          tenant,
          requestId: ctx.requestId,
          locale: pageLocale(ctx, set, tenant),
          action,
          ...(other ? { choice: { numbers: other.choices } } : {}),
          inApp,
          ...(passkeyScript ? { passkeyScript } : {}),
        });
      },
      {
        params: LinkToken,
        detail: operation({
          summary: 'The link page: a "Continue" button (never consumes the link)',
          description:
            'Used → the 409 page, expired → the 410 page with a "Send me a fresh link" form; the browser already holding the session this link created is sent on.',
          tags: ['pages', 'sign-in'],
          security: PUBLIC,
          errors: ['invalid_magic_link', 'expired_magic_link', 'used_magic_link', 'rate_limited'],
          html: { 200: 'The page (sets the test cookie `__Host-visitor_check`).' },
          bare: { 303: 'Used by this browser already: to the returnTo.' },
          rateLimited: true,
        }),
      },
    )
    .post(
      '/_edge/visitor/access/t/:token',
      async ({ ctx, request, params, set, cookie, body }) => {
        const jar = cookie as CookieJar;
        const tenant = await linkTenant(ctx);
        if (!tenant) throw new AppError('invalid_magic_link');
        // Order matters (docs/api.md "The link page"): CSRF → token → test cookie → consume.
        assertOriginAllowed(request, tenant, config);
        await enforceLinkLimits(keys, ctx, tenant, params.token);
        const action = `/_edge/visitor/access/t/${params.token}`;
        const match = body.match;
        if (match !== undefined) return pickNumber(ctx, set, jar, tenant, params.token, match);
        const ttl = sessionTtlFor(deps, tenant);
        const outcome = await confirmLink(linkDeps, {
          ...shopperLink(ctx, tenant, params.token),
          consume: {
            sessionTtlSeconds: ttl,
            check: (link) => {
              if (cookieString(jar, CHECK_COOKIE)) return undefined;
              // The token stays untouched, so the same link works once cookies are allowed.
              return cookieBlockedAnswer(ctx, set, jar, tenant, { checkSeconds: checkCookieSeconds(deps, link), action });
            },
          },
        });
        switch (outcome.kind) {
          case 'answered':
            return outcome.answer;
          case 'signed-in': {
            ctx.facts.sessionId = outcome.session.session_id;
            // Read before the new cookie replaces the one this browser presented.
            const held = await ctx.presentedSession();
            setSessionCookie(jar, outcome.session.token, ttl);
            await endSupersededOrderSession(deps, held, outcome.session.visitor_id, ctx.requestId);
            logger.info('signed in by link', { requestId: ctx.requestId, tenant: tenant.handle, visitorId: outcome.session.visitor_id });
            // The passkey script noted that this browser can make a passkey: offer one before going on.
            const offer = passkeyCapable(jar);
            const where = { tenant, hostname: ctx.hostname };
            const next = offer ? await landingAfterSignIn(deps.db, where, outcome.session.visitor_id, outcome.session.return_to) : null;
            return seeOther(set, next ?? outcome.session.return_to);
          }
          case 'held':
            return seeOther(set, outcome.link.return_to);
          case 'bad':
            return badLinkPage(ctx, set, tenant, outcome.state, action, clock.now());
          case 'valid':
            throw new AppError('invalid_magic_link'); // a POST always consumes: not reached
        }
      },
      {
        params: LinkToken,
        // match is checked by the handler (two digits) after CSRF, as docs/api.md orders the checks.
        body: t.Object({
          match: t.Optional(Text({ description: '"Sign in on my other screen": the two-digit number picked.' })),
        }),
        detail: operation({
          summary: 'Continue: consume the link and set the session cookie; or, with `match`, approve the browser that asked',
          tags: ['pages', 'sign-in'],
          security: PUBLIC,
          errors: [
            'invalid_request',
            'invalid_magic_link',
            'expired_magic_link',
            'used_magic_link',
            'cookie_blocked',
            'number_mismatch',
            'pending_expired',
            'csrf_rejected',
            'rate_limited',
          ],
          html: { 200: '`match`, the right number: "your other screen is signing in" (nothing set on this browser).' },
          bare: { 303: 'Signed in (or already, by this browser): to the returnTo.' },
          rateLimited: true,
          forms: true,
        }),
      },
    )
    .post(
      '/_edge/visitor/access/t/:token/reissue',
      async ({ ctx, request, params, set, cookie }) => {
        const tenant = await linkTenant(ctx);
        if (!tenant) throw new AppError('invalid_magic_link');
        if (bodyKindOf(request) === 'form') assertOriginAllowed(request, tenant, config);
        await ctx.enforceLimits('reissue', tenant.id, { ip: ctx.clientIp, tenant: tenant.id });
        const expired = await linkToReissue(linkDeps, tenant, params.token);
        ctx.facts.visitorId = expired.visitor_id;
        // A fresh link is a sign-in mail like any other: it spends the address's per-email budget,
        // so one expired link cannot be reissued into a flood of mail.
        if (await mailBudgetLeft(ctx, tenant, expired.email)) {
          await requestMagicLink(linkDeps, {
            tenant,
            email: expired.email,
            returnTo: expired.return_to,
            linkOrigin: ctx.linkOrigin(tenant),
            requestId: ctx.requestId,
            locale: requestLocale(ctx, tenant),
          });
          await auditVisitor(deps, ctx, tenant, 'link_reissued', { visitorId: expired.visitor_id, detail: { expiredLinkId: expired.id } });
        }
        if (bodyKindOf(request) === 'form') {
          return toCheckEmail(keys, cookie as CookieJar, set, { handle: tenant.handle, email: expired.email, returnTo: expired.return_to });
        }
        set.status = 202;
        return { status: 'sent' as const, requestId: ctx.requestId };
      },
      {
        params: LinkToken,
        response: { 202: Sent },
        detail: operation({
          summary: 'Send a fresh link and code for an expired, never-used one (up to 24 h old)',
          tags: ['sign-in'],
          security: PUBLIC,
          errors: ['invalid_magic_link', 'expired_magic_link', 'used_magic_link', 'link_still_valid', 'csrf_rejected', 'rate_limited'],
          bare: { 303: 'Form: to /_edge/visitor/check-email (the pending cookie set).' },
          rateLimited: true,
          idempotent: true,
          forms: true,
        }),
      },
    )
    .use(verifyRoutes(deps))
    .use(pendingRoutes(deps, wakeups))
    .use(hostedPageRoutes(deps));
}

// Kept importable from here for callers outside the sign-in flow (e.g. the console).
export { setSessionCookie, toCheckEmail, type Pending } from './sign-in-cookies.ts';
