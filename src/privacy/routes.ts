// The visitor's data: the signed-in shopper's export (GET /v2/visitor/export) and erasure — by the
// shopper (a fresh code mailed for the purpose, then POST /v2/visitor/delete {code}; the hosted
// page /_edge/visitor/delete) or by the storefront (DELETE /v2/access/visitors?email=, scope
// visitor:delete).
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf } from '../http/body.ts';
import { clearHostCookie, type CookieJar, seeOther } from '../http/cookies.ts';
import { assertOriginAllowed } from '../http/csrf.ts';
import { pageHeaders } from '../http/html.ts';
import { pageLocale, requestLocale } from '../magic-link/link-pages.ts';
import { signInHref } from '../magic-link/pages.ts';
import { IsoTime, operation, PUBLIC, serverCaller, Text, VISITOR } from '../openapi/schemas.ts';
import { routeContext } from '../route-context.ts';
import { requireFullSession } from '../sessions/current.ts';
import { SESSION_COOKIE } from '../sessions/sessions.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { checkErasureCode, sendErasureCode } from './erasure-codes.ts';
import { ERASED_PAGE_PATH, ERASURE_PAGE_PATH, erasedPage, erasurePage } from './pages.ts';
import { eraseVisitor, exportVisitor } from './personal-data.ts';

const VisitorExport = t.Object(
  {
    exportedAt: t.String({ format: 'date-time' }),
    storefront: t.String({ description: 'The storefront’s handle.' }),
    note: t.String(),
    visitor: t.Object({ id: t.String(), email: t.String(), createdAt: t.String({ format: 'date-time' }) }),
    grants: t.Array(t.Unknown()),
    sessions: t.Array(t.Unknown()),
    passkeys: t.Array(t.Unknown()),
    handoffs: t.Array(t.Unknown()),
    signInLinks: t.Array(t.Unknown()),
    pendingSignIns: t.Array(t.Unknown()),
    mail: t.Array(t.Unknown()),
    auditEvents: t.Array(t.Unknown()),
    securityEvents: t.Array(t.Unknown()),
    supportReports: t.Array(t.Unknown()),
    contentReports: t.Array(t.Unknown()),
  },
  {
    additionalProperties: true,
    description: 'Everything held about the shopper at this storefront: ids, times, states; never a token, hash or code.',
  },
);

export function privacyRoutes(deps: AppDeps) {
  const signInUrl = (tenant: { origins: readonly string[] }) => `${tenant.origins[0] ?? ''}/_edge/visitor/sign-in`;

  const { config } = deps;

  return new Elysia({ name: 'privacy' })
    .use(routeContext(deps))
    .get(
      ERASURE_PAGE_PATH,
      async ({ ctx, query, set }) => {
        const tenant = await ctx.hostTenant();
        if (!tenant) throw new AppError('not_found', { detail: 'This host is not a storefront.' });
        const { session } = await ctx.session().catch(() => ({ session: null }));
        set.headers['cache-control'] = 'no-store';
        Object.assign(set.headers, pageHeaders(tenant));
        const locale = pageLocale(ctx, set, tenant);
        const error = query.error === 'invalid_code' || query.error === 'code_attempts_exceeded' ? query.error : null;
        return erasurePage({
          tenant,
          requestId: ctx.requestId,
          locale,
          state:
            session?.scope === 'full'
              ? { kind: 'ready', email: session.email, sent: query.sent === '1', error }
              : { kind: 'sign-in', signInHref: signInHref(ERASURE_PAGE_PATH), orderOnly: session?.scope === 'order' },
        });
      },
      {
        query: t.Object({
          sent: t.Optional(Text({ maxLength: 8, description: '`1`: a code was just sent (shows the code form).' })),
          error: t.Optional(
            Text({ maxLength: 64, description: 'Why the last code was refused (`invalid_code`, `code_attempts_exceeded`).' }),
          ),
        }),
        detail: operation({
          summary: '"Delete your account": the shopper’s erasure page (ask for a code, then confirm with it)',
          tags: ['pages'],
          security: [...VISITOR, {}],
          errors: ['not_found', 'wrong_tenant'],
          html: { 200: 'The page: a way to sign in first, or the steps.' },
        }),
      },
    )
    .get(
      ERASED_PAGE_PATH,
      async ({ ctx, set }) => {
        const tenant = await ctx.hostTenant();
        if (!tenant) throw new AppError('not_found', { detail: 'This host is not a storefront.' });
        Object.assign(set.headers, pageHeaders(tenant));
        return erasedPage({ tenant, requestId: ctx.requestId, locale: pageLocale(ctx, set, tenant), home: `${ctx.linkOrigin(tenant)}/` });
      },
      {
        detail: operation({
          summary: 'After a shopper’s erasure: "Your account is deleted"',
          tags: ['pages'],
          security: PUBLIC,
          errors: ['not_found'],
          html: { 200: 'The page.' },
        }),
      },
    )
    .post(
      '/v2/visitor/delete/code',
      async ({ ctx, request, set }) => {
        const form = bodyKindOf(request) === 'form';
        const signedIn = await ctx.requireSession();
        // A cookie-authenticated write (or any form post) must come from the storefront itself.
        if (form || signedIn.session.via === 'cookie') assertOriginAllowed(request, signedIn.tenant, config);
        const { session, tenant } = requireFullSession(signedIn, signInUrl(signedIn.tenant));
        await ctx.enforceLimits('erasure-code', tenant.id, { ip: ctx.clientIp });
        const expiresAt = await sendErasureCode(deps, {
          tenantId: tenant.id,
          visitorId: session.visitor_id,
          sessionId: session.id,
          email: session.email,
          requestId: ctx.requestId,
          locale: requestLocale(ctx, tenant),
        });
        if (form) return seeOther(set, `${ERASURE_PAGE_PATH}?sent=1`);
        set.status = 202;
        return { expiresAt: expiresAt.toISOString() };
      },
      {
        response: { 202: t.Object({ expiresAt: IsoTime('Until when the code confirms an erasure (15 minutes).') }) },
        detail: operation({
          summary: 'Mail the signed-in shopper a 6-digit code that confirms erasing them',
          description:
            'The code is for POST /v2/visitor/delete only, from this session, for 15 minutes and 5 tries; asking again replaces it. A form post is answered 303 to the erasure page.',
          tags: ['visitor'],
          security: VISITOR,
          errors: ['not_signed_in', 'wrong_tenant', 'csrf_rejected', 'step_up_required', 'rate_limited'],
          bare: { 303: 'Sent (form): to the erasure page’s code form.' },
          rateLimited: true,
          forms: true,
        }),
      },
    )
    .post(
      '/v2/visitor/delete',
      async ({ ctx, request, body, cookie, set }) => {
        const form = bodyKindOf(request) === 'form';
        const signedIn = await ctx.requireSession();
        if (form || signedIn.session.via === 'cookie') assertOriginAllowed(request, signedIn.tenant, config);
        const { session, tenant } = requireFullSession(signedIn, signInUrl(signedIn.tenant));
        try {
          await checkErasureCode(deps, { tenantId: tenant.id, visitorId: session.visitor_id, sessionId: session.id }, body.code);
        } catch (error) {
          if (!form || !(error instanceof AppError)) throw error;
          ctx.facts.code = error.code;
          return seeOther(set, `${ERASURE_PAGE_PATH}?sent=1&error=${error.code}`);
        }
        await eraseVisitor(deps, { tenantId: tenant.id, email: session.email, requestId: ctx.requestId, actor: 'visitor' });
        // This request's own log row names no one any more.
        ctx.facts.visitorId = undefined;
        ctx.facts.sessionId = undefined;
        const jar = cookie as CookieJar;
        if (jar[SESSION_COOKIE]?.value) clearHostCookie(jar, SESSION_COOKIE);
        if (form) return seeOther(set, ERASED_PAGE_PATH);
        set.status = 204;
        return '';
      },
      {
        body: t.Object({ code: Text({ maxLength: 32, description: 'The 6-digit code from POST /v2/visitor/delete/code’s mail.' }) }),
        detail: operation({
          summary: 'Erase the signed-in shopper, confirmed by the code mailed for it',
          description:
            'Needs the session that asked for the code. Erases everything held about the shopper at this storefront (as DELETE /v2/access/visitors does) and signs them out. A form post is answered 303 to the page after it, or back to the code form when the code is refused.',
          tags: ['visitor'],
          security: VISITOR,
          errors: ['not_signed_in', 'wrong_tenant', 'csrf_rejected', 'step_up_required', 'invalid_code', 'code_attempts_exceeded'],
          bare: { 204: 'Erased (JSON).', 303: 'Form: erased (to the page after it), or the code refused (back to the code form).' },
          forms: true,
        }),
      },
    )
    .get(
      '/v2/visitor/export',
      async ({ ctx, set }) => {
        const signedIn = await ctx.requireSession();
        const { session, tenant } = requireFullSession(signedIn, signInUrl(signedIn.tenant));
        const held = await exportVisitor(deps, tenant, session.email);
        if (!held) throw new AppError('not_signed_in');
        set.headers['content-disposition'] = `attachment; filename="${tenant.handle}-export.json"`;
        set.headers['cache-control'] = 'no-store';
        // Dates become ISO strings here, as they will in the answer.
        return JSON.parse(JSON.stringify(held)) as typeof VisitorExport.static;
      },
      {
        response: { 200: VisitorExport },
        detail: operation({
          summary: 'Everything held about the signed-in shopper, as a JSON download',
          description:
            'Needs a full session (not one opened from a checkout handoff). Webhook events are not included: they go to the storefront.',
          tags: ['visitor'],
          security: VISITOR,
          errors: ['not_signed_in', 'wrong_tenant', 'step_up_required'],
        }),
      },
    )
    .delete(
      '/v2/access/visitors',
      async ({ ctx, query, set }) => {
        const caller = await ctx.requireCaller('visitor:delete');
        const tenant = await deps.tenants.forId(caller.tenantId);
        if (!tenant) throw new AppError('unauthorized', { detail: 'The credential belongs to no storefront.' });
        if (query.handle !== undefined && query.handle !== tenant.handle) {
          throw new AppError('wrong_tenant', { detail: `This credential belongs to the storefront "${tenant.handle}".` });
        }
        const email = normaliseEmail(query.email);
        if (!email) throw new AppError('invalid_email', { detail: 'email must be a valid email address.' });
        await eraseVisitor(deps, { tenantId: tenant.id, email, requestId: ctx.requestId, actor: `${caller.kind}:${caller.id}` });
        set.status = 204;
        return '';
      },
      {
        query: t.Object({
          email: t.String({ maxLength: 512, description: 'The buyer’s address.', examples: ['demo@example.com'] }),
          handle: t.Optional(t.String({ maxLength: 64, description: 'The storefront; must be the credential’s own when sent.' })),
        }),
        detail: operation({
          summary: 'Erase a buyer by address (204 also when nothing was held: idempotent)',
          description:
            'Ends and deletes the visitor’s sessions, links, pending sign-ins, passkeys, handoffs, the grants of the address and its mail; audit and security rows are kept pseudonymised. The address may sign in again as a new visitor.',
          tags: ['access'],
          security: serverCaller('visitor:delete'),
          errors: ['unauthorized', 'insufficient_scope', 'wrong_tenant', 'invalid_email'],
          bare: { 204: 'Erased (or nothing was held).' },
        }),
      },
    );
}
