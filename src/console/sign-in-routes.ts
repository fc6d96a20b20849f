// Console sign-in, by the ordinary magic-link machinery: an operator is a visitor of the internal
// `_console` tenant, so requestMagicLink (token + outbox mail in one statement, retried with
// backoff) and the shoppers' link-confirm path (magic-link/confirm.ts: classify, replay, the
// single-use consume) work unchanged; the mail links to `{PUBLIC_URL}/console/t/{token}`. Only
// registered operators get a mail; everyone gets the same answer. The confirm page's POST consumes
// (Origin + double-submit token + test cookie) and starts a console session.
import { humanDuration } from '../mail/magic-link-mail.ts';
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { AppError, type ErrorCode } from '../errors.ts';
import { Text } from '../openapi/schemas.ts';
import { routeContext } from '../route-context.ts';
import { confirmLink, type BadLink, type Confirmation, type ConfirmInput } from '../magic-link/confirm.ts';
import { requestMagicLink } from '../magic-link/magic-link.ts';
import { operatorActor, recordAudit } from '../audit/audit.ts';
import { recordSecurityEvent } from '../audit/security-events.ts';
import { revokeSession } from '../sessions/sessions.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { CONSOLE_LINK_PATH, CONSOLE_RETURN_TO, findConsoleTenant } from './console-tenant.ts';
import { consoleHandler, SeeOther, type ConsoleRequest } from './handler.ts';
import { findOperatorByEmail, type Operator } from './operators.ts';
import { consoleOperation, CsrfBody, SignInBody, TokenParams } from './route-schemas.ts';
import { insertConsoleSession } from './session-queries.ts';
import {
  assertCsrfToken,
  assertSameOrigin,
  CHECK_COOKIE,
  clearConsoleCookie,
  cookieValue,
  randomToken,
  readConsoleSession,
  SESSION_COOKIE,
  setConsoleCookie,
  setHintCookie,
  HINT_COOKIE,
} from './session.ts';
import { consolePages } from './pages.ts';
import type { SignInNotice } from './sign-in-pages.ts';

const CHECK_SECONDS = 3600;
const NOTICES = new Set(['signed-out', 'idle', 'absolute']);
/** What a link's page may answer instead (badLink): 400 invalid, 409 used, 410 expired. */
const LINK_ERRORS: ErrorCode[] = ['invalid_magic_link', 'used_magic_link', 'expired_magic_link'];

export function consoleSignInRoutes(deps: AppDeps) {
  const { config, db, clock, logger } = deps;
  const linkDeps = { db, keys: deps.keys, clock, logger, outbox: deps.outbox, sessionTtlSeconds: config.consoleSessionSeconds };

  /** The test cookie, which doubles as the CSRF token of the forms shown before sign-in. */
  function checkToken(c: ConsoleRequest, fresh = false): string {
    const token = (!fresh && cookieValue(c.jar, CHECK_COOKIE)) || randomToken();
    setConsoleCookie(c.jar, CHECK_COOKIE, token, CHECK_SECONDS);
    return token;
  }

  /** A bad link's page: 409 used (the replay is recorded by confirmLink), 410 expired, 400 invalid. */
  async function badLink(c: ConsoleRequest, state: BadLink): Promise<string> {
    if (state.kind === 'used') {
      c.set.status = 409;
      return (await consolePages()).linkProblemPage({
        requestId: c.requestId,
        code: 'used_magic_link',
        at: { at: state.usedAt, now: c.now },
      });
    }
    if (state.kind === 'expired') {
      c.set.status = 410;
      return (await consolePages()).linkProblemPage({
        requestId: c.requestId,
        code: 'expired_magic_link',
        at: { at: state.expiredAt, now: c.now },
      });
    }
    c.set.status = 400;
    return (await consolePages()).linkProblemPage({ requestId: c.requestId, code: 'invalid_magic_link' });
  }

  /**
   * The shoppers' link-confirm path at the console tenant, for console links only (another
   * tenant's link, or a shopper's, is no link here); the browser whose console session this link
   * created is sent on to the console.
   */
  async function confirm(c: ConsoleRequest, consume?: ConfirmInput<string>['consume']): Promise<Confirmation<string>> {
    // The token travels in the path: keep it out of the logs and the request log.
    c.ctx.logPathAs(`${CONSOLE_LINK_PATH}[redacted]`);
    c.set.headers['x-robots-tag'] = 'noindex';
    const tenant = await findConsoleTenant(db);
    if (!tenant) return { kind: 'bad', state: { kind: 'invalid' } };
    return confirmLink(linkDeps, {
      tenant,
      token: c.params.token ?? '',
      presenter: { requestId: c.requestId, ip: c.ctx.clientIp, userAgent: c.ctx.userAgent },
      accepts: (link) => link.return_to === CONSOLE_RETURN_TO,
      purpose: 'console',
      heldSessionId: async () => {
        const current = await readConsoleSession(deps, c.jar);
        return current.kind === 'live' ? current.session.sessionId : null;
      },
      ...(consume ? { consume } : {}),
    });
  }

  return (
    new Elysia({ name: 'console-sign-in' })
      .use(routeContext(deps))
      .get(
        '/console/sign-in',
        consoleHandler(deps, async (c) => {
          const current = await readConsoleSession(deps, c.jar);
          if (current.kind === 'live') throw new SeeOther('/console/');
          if (current.kind === 'ended') clearConsoleCookie(c.jar, SESSION_COOKIE);
          const notice = NOTICES.has(c.query.notice ?? '') ? (c.query.notice as SignInNotice) : null;
          const lifetimes = { idleSeconds: config.consoleIdleSeconds, sessionSeconds: config.consoleSessionSeconds };
          return (await consolePages()).signInPage({ requestId: c.requestId, csrf: checkToken(c), notice, lifetimes });
        }),
        {
          query: t.Object({ notice: t.Optional(Text({ description: 'Why the operator is here again: signed-out, idle or absolute.' })) }),
          detail: consoleOperation('Console: operator sign-in page', [], { bare: { 303: 'Already signed in: to /console/.' } }),
        },
      )
      .post(
        '/console/sign-in',
        consoleHandler(deps, async (c) => {
          assertSameOrigin(c.request, config);
          const expected = cookieValue(c.jar, CHECK_COOKIE);
          if (!expected) {
            c.set.status = 400;
            c.ctx.facts.code = 'cookie_blocked';
            return (await consolePages()).signInPage({
              requestId: c.requestId,
              csrf: checkToken(c, true),
              error: 'Your browser blocked the console’s cookie. Allow cookies for this site, then try again.',
            });
          }
          assertCsrfToken(c.body.csrf, expected);
          const email = normaliseEmail(c.body.email);
          if (!email) {
            c.set.status = 400;
            c.ctx.facts.code = 'invalid_email';
            return (await consolePages()).signInPage({
              requestId: c.requestId,
              csrf: expected,
              email: typeof c.body.email === 'string' ? c.body.email.slice(0, 254) : '',
              error: 'Enter a valid email address, like name@example.com.',
            });
          }
          const tenant = await findConsoleTenant(db);
          if (tenant) {
            c.ctx.facts.tenantId = tenant.id;
            // The visitor sign-in's limits, at the console tenant: per IP, in all, and per address.
            const limits = await c.ctx.enforceLimits('magic-link', tenant.id, { ip: c.ctx.clientIp, tenant: tenant.id, email });
            // Same answer for every address: only operators get a mail (no enumeration of operators).
            const operator = await findOperatorByEmail(db, email);
            if (operator && limits.silentExceeded) {
              await recordSecurityEvent(db, {
                tenantId: tenant.id,
                visitorId: null,
                kind: 'sign_in_mail_limit_reached',
                requestId: c.requestId,
                ip: c.ctx.clientIp,
                userAgent: c.ctx.userAgent,
                detail: { console: true },
                now: clock.now(),
              });
              logger.warn('per-email console sign-in limit reached; no mail sent', { requestId: c.requestId });
            } else if (operator) {
              const { visitorId } = await requestMagicLink(linkDeps, {
                tenant,
                email,
                returnTo: CONSOLE_RETURN_TO,
                linkOrigin: config.publicUrl,
                linkPath: CONSOLE_LINK_PATH,
                mailCode: false, // the console has no code form: a link-only mail
                requestId: c.requestId,
                purpose: 'console',
              });
              c.ctx.facts.visitorId = visitorId;
            }
          }
          throw new SeeOther('/console/check-email');
        }),
        {
          body: SignInBody,
          detail: consoleOperation('Console: ask for an operator sign-in link', ['invalid_email', 'cookie_blocked', 'csrf_rejected'], {
            description: 'A bad address or blocked cookies: the form again (400), the error beside it.',
            bare: { 303: 'To /console/check-email, the same answer for every address (only operators get a mail).' },
            rateLimited: true,
            forms: true,
          }),
        },
      )
      .get(
        '/console/check-email',
        consoleHandler(deps, async (c) => {
          const tenant = await findConsoleTenant(db);
          const ttl = tenant?.magicLinkTtlSeconds ?? config.magicLinkTtlSeconds;
          return (await consolePages()).checkEmailPage({ requestId: c.requestId, validity: humanDuration(ttl) });
        }),
        { detail: consoleOperation('Console: check your email', []) },
      )
      // A GET never signs in (mail scanners prefetch links): it shows a Continue button.
      .get(
        '/console/t/:token',
        consoleHandler(deps, async (c) => {
          const outcome = await confirm(c);
          if (outcome.kind === 'held') throw new SeeOther('/console/');
          if (outcome.kind !== 'valid') return badLink(c, outcome.kind === 'bad' ? outcome.state : { kind: 'invalid' });
          return (await consolePages()).confirmPage({
            requestId: c.requestId,
            action: `${CONSOLE_LINK_PATH}${c.params.token}`,
            csrf: checkToken(c),
          });
        }),
        {
          params: TokenParams,
          detail: consoleOperation('Console: the operator link page (a Continue button; never signs in)', LINK_ERRORS, {
            bare: { 303: 'This browser already holds the session this link started: to /console/.' },
          }),
        },
      )
      .post(
        '/console/t/:token',
        consoleHandler(deps, async (c) => {
          // Order as for shoppers: CSRF (Origin) → the link → the test cookie → consume.
          assertSameOrigin(c.request, config);
          const action = `${CONSOLE_LINK_PATH}${c.params.token}`;
          let operator: Operator | null = null;
          const outcome = await confirm(c, {
            sessionTtlSeconds: config.consoleSessionSeconds,
            check: async (link) => {
              const expected = cookieValue(c.jar, CHECK_COOKIE);
              if (!expected) {
                // The link stays unused, so it works once cookies are allowed.
                c.set.status = 400;
                c.ctx.facts.code = 'cookie_blocked';
                return (await consolePages()).cookieBlockedPage({ requestId: c.requestId, action, csrf: checkToken(c, true) });
              }
              assertCsrfToken(c.body.csrf, expected);
              operator = await findOperatorByEmail(db, link.email);
              if (!operator) throw new AppError('invalid_magic_link', { detail: 'This address is no longer a console operator.' });
              return undefined;
            },
          });
          switch (outcome.kind) {
            case 'answered':
              return outcome.answer;
            case 'signed-in': {
              const { session, link } = outcome;
              const operatorId = (operator as Operator | null)!.id;
              const now = clock.now();
              await insertConsoleSession(db, { sessionId: session.session_id, operatorId, csrfToken: randomToken(), now });
              await recordAudit(db, {
                kind: 'console_signed_in',
                actor: operatorActor(operatorId),
                requestId: c.requestId,
                tenantId: link.tenant_id,
                visitorId: session.visitor_id,
                sessionId: session.session_id,
                at: now,
              });
              Object.assign(c.ctx.facts, { tenantId: link.tenant_id, visitorId: session.visitor_id, sessionId: session.session_id });
              setConsoleCookie(c.jar, SESSION_COOKIE, session.token, config.consoleSessionSeconds);
              setHintCookie(c.jar, config.consoleSessionSeconds);
              clearConsoleCookie(c.jar, CHECK_COOKIE);
              logger.info('operator signed in to the console', { requestId: c.requestId, operatorId });
              throw new SeeOther('/console/');
            }
            case 'held':
              throw new SeeOther('/console/');
            case 'bad':
              return badLink(c, outcome.state);
            case 'valid':
              return badLink(c, { kind: 'invalid' }); // a POST always consumes: not reached
          }
        }),
        {
          params: TokenParams,
          body: CsrfBody,
          detail: consoleOperation(
            'Console: consume the operator link, start a console session',
            [...LINK_ERRORS, 'cookie_blocked', 'csrf_rejected'],
            {
              bare: { 303: 'Signed in: to /console/.' },
              forms: true,
            },
          ),
        },
      )
      // Anything below a link's path is no page, but its token must stay out of the logs all the same.
      .all(
        '/console/t/:token/*',
        consoleHandler(deps, async (c) => {
          c.ctx.logPathAs(`${CONSOLE_LINK_PATH}[redacted]/…`);
          throw new AppError('not_found', { detail: 'No such console page.' });
        }),
        {
          // The rest of the path (`*`) is no parameter of the document's: allowed, not described.
          params: t.Object(TokenParams.properties, { additionalProperties: true }),
          detail: consoleOperation('Console: anything under a link’s path (not found; the token kept out of the logs)', ['not_found'], {
            html: false,
          }),
        },
      )
      .post(
        '/console/sign-out',
        consoleHandler(deps, async (c) => {
          const session = await c.session().catch(() => null);
          if (session) {
            assertSameOrigin(c.request, config);
            assertCsrfToken(c.body.csrf, session.csrfToken);
            const now = clock.now();
            await revokeSession(db, session.sessionId, now);
            await recordAudit(db, {
              kind: 'console_signed_out',
              actor: operatorActor(session.operator.id),
              requestId: c.requestId,
              tenantId: null,
              sessionId: session.sessionId,
              at: now,
            });
          }
          // With no or an ended session: the same answer.
          clearConsoleCookie(c.jar, SESSION_COOKIE);
          clearConsoleCookie(c.jar, HINT_COOKIE);
          throw new SeeOther('/console/sign-in?notice=signed-out');
        }),
        {
          body: CsrfBody,
          detail: consoleOperation('Console: sign out', ['csrf_rejected'], {
            bare: { 303: 'Signed out (or no session): to /console/sign-in?notice=signed-out.' },
            html: false,
            forms: true,
          }),
        },
      )
  );
}
