// POST /v2/visitor/auth/verify — sign in with the link token or the 6-digit code.
import { Elysia, t } from 'elysia';
import { sessionTtlFor, type AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf, invalid } from '../http/body.ts';
import { clearHostCookie, cookieString, seeOther, setHostCookie, type CookieJar } from '../http/cookies.ts';
import { assertOriginAllowed } from '../http/csrf.ts';
import { requestContext } from '../http/request-context.ts';
import { visitorTenant } from '../http/visitor-tenant.ts';
import { CHECK_COOKIE, PENDING_COOKIE } from '../sessions/sessions.ts';
import { unseal } from '../tokens/sealed.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { consumeLink, linkStateError, type NewSessionInfo } from './magic-link.ts';
import { verifyCode } from './codes.ts';
import { cookieBlockedPage } from './pages.ts';
import { HTML, WRONG_CODES, sessionBody, setSessionCookie, signInHelpers, type Pending } from './route-helpers.ts';

export function verifyRoutes(deps: AppDeps) {
  const { config, keys, clock, db, logger } = deps;
  const { linkDeps, classify, replayed, enforceLimits } = signInHelpers(deps);

  return new Elysia({ name: 'magic-link-verify' })
    .post(
      '/v2/visitor/auth/verify',
      async ({ request, body, set, cookie }) => {
        const jar = cookie as CookieJar;
        const context = requestContext(request, config);
        const form = bodyKindOf(request) === 'form';
        const pending = form && cookieString(jar, PENDING_COOKIE) ? await unseal<Pending>(keys, 'cookie', cookieString(jar, PENDING_COOKIE)!, PENDING_COOKIE) : null;
        const { tenant } = await visitorTenant(deps.tenants, context, body.handle ?? pending?.handle);
        if (form) assertOriginAllowed(request, tenant, config);
        const ttl = sessionTtlFor(deps, tenant);
        if (form && body.delivery !== 'bearer' && !cookieString(jar, CHECK_COOKIE)) {
          // Same rule as the link: never burn a code into a session cookie the browser will drop.
          setHostCookie(jar, CHECK_COOKIE, '1', config.magicLinkTtlSeconds);
          set.status = 400;
          context.facts.code = 'cookie_blocked';
          set.headers['content-type'] = HTML;
          return cookieBlockedPage({ tenant, requestId: context.requestId });
        }
        // A code is a guess until compared: it reserves its place in the per-IP wrong-code quota in
        // the same atomic statement as the other limits, BEFORE comparing, so a concurrent burst
        // gets at most the quota compared. A right code gives its place back below.
        const guessing = body.token === undefined && body.code !== undefined;
        const email = guessing ? normaliseEmail(body.email ?? pending?.email) : null;
        if (guessing && !email) throw new AppError('invalid_email');
        const limits = await enforceLimits(request, 'verify', tenant, { ip: context.clientIp }, (p) => p.label !== WRONG_CODES || guessing);
        let session: NewSessionInfo;
        if (body.token !== undefined) {
          const state = await classify(request, tenant, body.token);
          if (state.kind !== 'valid') {
            if (state.kind === 'used') await replayed(request, tenant, state);
            throw linkStateError(state, `/_edge/visitor/access/t/${body.token}/reissue`);
          }
          const result = await consumeLink(linkDeps, state.link, { userAgent: context.userAgent, ip: context.clientIp, sessionTtlSeconds: ttl, requestId: context.requestId, via: 'link' });
          if (!result.ok) throw linkStateError(result.state.kind === 'valid' ? { kind: 'invalid' } : result.state);
          session = result.session;
        } else if (guessing && email && body.code !== undefined) {
          session = await verifyCode(linkDeps, { tenant, email, code: body.code, context, sessionTtlSeconds: ttl });
          // Signed in: the code was right, not a wrong code from this IP.
          const reserved = limits.outcomes.find((o) => o.policy.label === WRONG_CODES);
          if (reserved) await deps.limiter.release(reserved);
        } else {
          throw invalid('token', 'Send either token, or handle + email + code.');
        }
        Object.assign(context.facts, { visitorId: session.visitor_id, sessionId: session.session_id });
        const delivery = body.delivery ?? 'cookie';
        if (delivery === 'cookie') setSessionCookie(jar, session.token, ttl);
        logger.info('signed in by verify', { requestId: context.requestId, tenant: tenant.handle, visitorId: session.visitor_id, delivery });
        if (form) {
          clearHostCookie(jar, PENDING_COOKIE);
          return seeOther(set, session.return_to);
        }
        return delivery === 'bearer' ? { ...sessionBody(tenant, session), sessionToken: session.token } : sessionBody(tenant, session);
      },
      {
        body: t.Object({
          token: t.Optional(t.String({ maxLength: 256 })),
          handle: t.Optional(t.String({ maxLength: 64 })),
          email: t.Optional(t.String({ maxLength: 512 })),
          code: t.Optional(t.String({ maxLength: 16 })),
          delivery: t.Optional(t.Union([t.Literal('cookie'), t.Literal('bearer')])),
        }),
      },
    );
}
