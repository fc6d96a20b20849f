// POST /v2/visitor/auth/verify — sign in with the link token or the 6-digit code.
import { Elysia, t } from 'elysia';
import { sessionTtlFor, type AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf, invalid } from '../http/body.ts';
import { clearHostCookie, cookieString, seeOther, type CookieJar, type SetContext } from '../http/cookies.ts';
import { assertOriginAllowed } from '../http/csrf.ts';
import { messagesFor } from '../i18n/messages.ts';
import { IsoTime, operation, PUBLIC, Text } from '../openapi/schemas.ts';
import { type RouteContext, routeContext } from '../route-context.ts';
import { endSupersededOrderSession } from '../sessions/current.ts';
import { CHECK_COOKIE, PENDING_COOKIE } from '../sessions/sessions.ts';
import { unseal } from '../tokens/sealed.ts';
import { normaliseEmail } from '../visitors/email.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { consumeLink, linkStateError, type NewSessionInfo } from './magic-link.ts';
import { verifyCode } from './codes.ts';
import { WRONG_CODES } from './link-limits.ts';
import { cookieBlockedAnswer, pageLocale } from './link-pages.ts';
import { pageHeaders } from '../http/html.ts';
import { classifyNoting, linkDepsOf, recordReplayed } from './link-state.ts';
import { checkEmailPage, expiredPage, type FieldError, usedPage } from './pages.ts';
import { setSessionCookie, type Pending } from './sign-in-cookies.ts';
import { landingAfterSignIn, passkeyCapable } from '../passkeys/offer.ts';

/** The verify API's answer (JSON): who signed in, and the session; `sessionToken` with delivery=bearer. */
const SignedIn = t.Object({
  visitor: t.Object({ id: t.String(), email: t.String(), handle: t.String({ description: 'The storefront.' }) }),
  session: t.Object({ id: t.String(), expiresAt: IsoTime() }),
  sessionToken: t.Optional(t.String({ description: 'delivery=bearer only: `Authorization: Bearer vs_…` (no cookie is set).' })),
});

/** The verify API's answer: who signed in, and the session. */
function sessionBody(tenant: Tenant, session: NewSessionInfo) {
  return {
    visitor: { id: session.visitor_id, email: session.email, handle: tenant.handle },
    session: { id: session.session_id, expiresAt: session.expires_at.toISOString() },
  };
}

/**
 * A browser form's right code whose link was already used or has expired: when, so the form gets
 * the same page as the link would (the API keeps its problem+json answer).
 */
function spentCode(error: unknown): { kind: 'used' | 'expired'; at: Date } | null {
  if (!(error instanceof AppError)) return null;
  const kind = error.code === 'used_magic_link' ? 'used' : error.code === 'expired_magic_link' ? 'expired' : null;
  const at = kind && error.extra.fields?.[kind === 'used' ? 'usedAt' : 'expiredAt'];
  return kind && typeof at === 'string' ? { kind, at: new Date(at) } : null;
}

/**
 * A browser form's code the server refused, as the code form again (same status and code as the
 * API's problem). A wrong code says the same for every address, known or not — the server will not
 * tell a stranger whether an address has a live code, so it never counts the tries left; it says
 * "a few more tries" to everyone.
 */
function codeRefusal(error: unknown): 'wrong' | 'burned' | null {
  if (!(error instanceof AppError)) return null;
  return error.code === 'invalid_code' ? 'wrong' : error.code === 'code_attempts_exceeded' ? 'burned' : null;
}

export function verifyRoutes(deps: AppDeps) {
  const { config, keys, logger } = deps;
  const linkDeps = linkDepsOf(deps);

  /** The code form again, the error beside its field, the typed address kept (never the code). */
  function codeFormAgain(
    ctx: RouteContext,
    set: SetContext,
    tenant: Tenant,
    input: { pending: Pending | null; email: string | undefined; refusal: 'email' | 'wrong' | 'burned' },
  ): string {
    const locale = pageLocale(ctx, set, tenant);
    const m = messagesFor(locale).checkEmail;
    const error: FieldError =
      input.refusal === 'email'
        ? { field: 'email', message: m.invalidEmail, code: 'invalid_email' }
        : input.refusal === 'wrong'
          ? { field: 'code', message: m.wrongCode, code: 'invalid_code' }
          : { field: 'code', message: m.codeBurned, code: 'code_attempts_exceeded' };
    set.status = input.refusal === 'burned' ? 429 : 400;
    ctx.facts.code = error.code;
    Object.assign(set.headers, pageHeaders(tenant));
    const pending = input.pending && { email: input.pending.email, returnTo: input.pending.returnTo };
    return checkEmailPage({ tenant, requestId: ctx.requestId, locale, pending, email: input.email, error });
  }

  return new Elysia({ name: 'magic-link-verify' }).use(routeContext(deps)).post(
    '/v2/visitor/auth/verify',
    async ({ ctx, request, body, set, cookie }) => {
      const jar = cookie as CookieJar;
      const form = bodyKindOf(request) === 'form';
      const pending =
        form && cookieString(jar, PENDING_COOKIE)
          ? await unseal<Pending>(keys, 'cookie', cookieString(jar, PENDING_COOKIE)!, PENDING_COOKIE)
          : null;
      const { tenant } = await ctx.visitorTenant(body.handle ?? pending?.handle);
      if (form) assertOriginAllowed(request, tenant, config);
      const ttl = sessionTtlFor(deps, tenant);
      if (form && body.delivery !== 'bearer' && !cookieString(jar, CHECK_COOKIE)) {
        // Same rule as the link: never burn a code into a session cookie the browser will drop.
        return cookieBlockedAnswer(ctx, set, jar, tenant, { checkSeconds: config.magicLinkTtlSeconds });
      }
      // A code is a guess until compared: it reserves its place in the per-IP wrong-code quota in
      // the same atomic statement as the other limits, BEFORE comparing, so a concurrent burst
      // gets at most the quota compared. A right code gives its place back below.
      const guessing = body.token === undefined && body.code !== undefined;
      const email = guessing ? normaliseEmail(body.email ?? pending?.email) : null;
      if (guessing && !email) {
        if (form) return codeFormAgain(ctx, set, tenant, { pending, email: body.email, refusal: 'email' });
        throw new AppError('invalid_email');
      }
      const limits = await ctx.enforceLimits('verify', tenant.id, { ip: ctx.clientIp }, (p) => p.label !== WRONG_CODES || guessing);
      let session: NewSessionInfo;
      if (body.token !== undefined) {
        const state = await classifyNoting(linkDeps, ctx, tenant, body.token);
        if (state.kind !== 'valid') {
          if (state.kind === 'used') await recordReplayed(linkDeps, ctx, tenant, state);
          throw linkStateError(state, `/_edge/visitor/access/t/${body.token}/reissue`);
        }
        const result = await consumeLink(linkDeps, state.link, {
          userAgent: ctx.userAgent,
          ip: ctx.clientIp,
          sessionTtlSeconds: ttl,
          requestId: ctx.requestId,
          via: 'link',
        });
        if (!result.ok) throw linkStateError(result.state.kind === 'valid' ? { kind: 'invalid' } : result.state);
        session = result.session;
      } else if (guessing && email && body.code !== undefined) {
        const verified = await verifyCode(linkDeps, { tenant, email, code: body.code, context: ctx, sessionTtlSeconds: ttl }).catch(
          (error: unknown) => {
            const refusal = form ? codeRefusal(error) : null;
            if (refusal) return { refusal };
            const spent = form ? spentCode(error) : null;
            if (!spent) throw error;
            return spent;
          },
        );
        if ('refusal' in verified) {
          return codeFormAgain(ctx, set, tenant, { pending, email: pending ? undefined : body.email, refusal: verified.refusal });
        }
        if ('kind' in verified) {
          const page = { tenant, requestId: ctx.requestId, locale: pageLocale(ctx, set, tenant), now: deps.clock.now() };
          const returnTo = pending?.returnTo;
          Object.assign(set.headers, pageHeaders(tenant));
          if (verified.kind === 'used') {
            set.status = 409;
            ctx.facts.code = 'used_magic_link';
            return usedPage({ ...page, usedAt: verified.at, what: 'code', returnTo });
          }
          set.status = 410;
          ctx.facts.code = 'expired_magic_link';
          return expiredPage({ ...page, expiredAt: verified.at, reissue: { what: 'code', email, returnTo } });
        }
        session = verified;
        // Signed in: the code was right, not a wrong code from this IP.
        const reserved = limits.outcomes.find((o) => o.policy.label === WRONG_CODES);
        if (reserved) await deps.limiter.release(reserved);
      } else {
        throw invalid('token', 'Send either token, or handle + email + code.');
      }
      Object.assign(ctx.facts, { visitorId: session.visitor_id, sessionId: session.session_id });
      const delivery = body.delivery ?? 'cookie';
      if (delivery === 'cookie') {
        // Read before the new cookie replaces the one this browser presented.
        const held = await ctx.presentedSession();
        setSessionCookie(jar, session.token, ttl);
        await endSupersededOrderSession(deps, held, session.visitor_id, ctx.requestId);
      }
      logger.info('signed in by verify', { requestId: ctx.requestId, tenant: tenant.handle, visitorId: session.visitor_id, delivery });
      if (form) {
        clearHostCookie(jar, PENDING_COOKIE);
        // The passkey script noted that this browser can make a passkey: offer one before going on.
        const where = { tenant, hostname: ctx.hostname };
        const next = passkeyCapable(jar) ? await landingAfterSignIn(deps.db, where, session.visitor_id, session.return_to) : null;
        return seeOther(set, next ?? session.return_to);
      }
      return delivery === 'bearer' ? { ...sessionBody(tenant, session), sessionToken: session.token } : sessionBody(tenant, session);
    },
    {
      // token, email and code are judged by the handler, not the schema: a browser form's wrong
      // code or malformed address gets the code form again with the error beside the field.
      body: t.Object({
        token: t.Optional(Text({ maxLength: 256, description: 'The link token (`vml_…`); used when both token and code are sent.' })),
        handle: t.Optional(Text({ maxLength: 64, description: 'The storefront; required on a host no storefront owns.' })),
        email: t.Optional(Text({ maxLength: 512, description: 'With code. A form may omit it (taken from the pending cookie).' })),
        code: t.Optional(Text({ maxLength: 16, description: 'The 6-digit code from the mail.' })),
        delivery: t.Optional(
          t.Union([t.Literal('cookie'), t.Literal('bearer')], {
            description: '`cookie` (default): sets `__Host-visitor_session`; `bearer`: the token in the answer.',
          }),
        ),
      }),
      // Not Elysia's `response`: a form's pages are strings it would type as the 200 answer. Documented only.
      detail: operation({
        summary: 'Sign in with the link token or the 6-digit code',
        description:
          'A form post answers 303 to the returnTo; its wrong code or malformed address is the code form again (same status and code as the problem).',
        tags: ['sign-in'],
        security: PUBLIC,
        errors: [
          'invalid_magic_link',
          'expired_magic_link',
          'used_magic_link',
          'invalid_code',
          'invalid_email',
          'cookie_blocked',
          'code_attempts_exceeded',
          'wrong_tenant',
          'csrf_rejected',
          'unknown_handle',
          'rate_limited',
        ],
        bare: { 303: 'Form: signed in, to the returnTo stored with the link.' },
        documentedJson: { 200: { description: 'Signed in (JSON).', schema: SignedIn } },
        rateLimited: true,
        forms: true,
      }),
    },
  );
}
