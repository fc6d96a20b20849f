// Support routes: a shopper's support report and a public content report (both forwarded on every
// edge host, JSON or browser form), the page a form lands on, and the operator routes.
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { recordAudit } from '../audit/audit.ts';
import { bodyKindOf } from '../http/body.ts';
import { seeOther, type SetContext } from '../http/cookies.ts';
import { assertOriginAllowed, originAllowed } from '../http/csrf.ts';
import { pageHeaders } from '../http/html.ts';
import { languageHeaders, negotiateLocale } from '../i18n/locales.ts';
import { AppError } from '../errors.ts';
import { operation, PUBLIC, VISITOR } from '../openapi/schemas.ts';
import { routeContext, type RouteContext } from '../route-context.ts';
import type { VisitorSession } from '../sessions/sessions.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { operatorRoutes } from './operator-routes.ts';
import { reportSentPage, REPORT_SENT_PATH } from './pages.ts';
import { insertContentReport, insertSupportReport } from './queries.ts';
import {
  blankAsAbsent,
  CONTENT_REPORT_FIELDS,
  ContentReportBody,
  contentReportInput,
  SUPPORT_REPORT_FIELDS,
  SupportReportBody,
  supportReportInput,
} from './reports.ts';

const Filed = t.Object({ reportId: t.String(), requestId: t.String({ description: 'The request that filed it.' }) });
const FORM_LANDING = `Form: to ${REPORT_SENT_PATH}.`;

export function supportRoutes(deps: AppDeps) {
  const { config, db, clock } = deps;

  /**
   * The shopper's live session at this tenant, to attach to the report — never a reason to refuse
   * one: a bad, expired or other-tenant session just files the report anonymously. A cookie session
   * is attached only when the request passes the Origin check, so no other site can file reports
   * in a shopper's name.
   */
  async function attachableSession(ctx: RouteContext, tenant: Tenant): Promise<VisitorSession | null> {
    let session: VisitorSession | null = null;
    try {
      session = (await ctx.session()).session;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
    }
    if (session && (session.tenant_id !== tenant.id || (session.via === 'cookie' && !originAllowed(ctx.request, tenant, config))))
      session = null;
    // The session lookup noted whichever session came; the request log keeps only the attached one.
    ctx.facts.tenantId = tenant.id;
    if (session) Object.assign(ctx.facts, { visitorId: session.visitor_id, sessionId: session.id });
    else {
      delete ctx.facts.visitorId;
      delete ctx.facts.sessionId;
    }
    return session;
  }

  function formLanding(set: SetContext, kind: 'support' | 'content', reportId: string, requestId: string): string {
    return seeOther(set, `${REPORT_SENT_PATH}?${new URLSearchParams({ kind, reportId, requestId })}`);
  }

  return (
    new Elysia({ name: 'support' })
      .use(routeContext(deps))
      // Bodies are validated by their schemas (reports.ts): one 400 lists every bad field, types and lengths alike.
      .post(
        '/v2/support/report',
        async ({ ctx, request, body, set }) => {
          const input = supportReportInput(body);
          const { tenant } = await ctx.visitorTenant(body.handle);
          const form = bodyKindOf(request) === 'form';
          if (form) assertOriginAllowed(request, tenant, config);
          const session = await attachableSession(ctx, tenant);
          await ctx.enforceLimits('support-report', tenant.id, { ip: ctx.clientIp, handle: tenant.handle });
          const now = clock.now();
          const reportId = await insertSupportReport(db, {
            tenantId: tenant.id,
            visitorId: session?.visitor_id ?? null,
            sessionId: session?.id ?? null,
            requestId: ctx.requestId,
            citedRequestId: input.citedRequestId,
            citedSessionId: input.citedSessionId,
            summary: input.summary,
            details: input.details,
            reproArtifact: input.reproArtifact,
            ip: ctx.clientIp,
            userAgent: ctx.userAgent?.slice(0, 512) ?? null,
            now,
          });
          await recordAudit(db, {
            kind: 'report_filed',
            actor: session ? 'visitor' : 'anonymous',
            requestId: ctx.requestId,
            tenantId: tenant.id,
            visitorId: session?.visitor_id ?? null,
            sessionId: session?.id ?? null,
            detail: { reportId, citedRequestId: input.citedRequestId, hasArtifact: input.reproArtifact !== null },
            at: now,
          });
          deps.logger.info('support report filed', { requestId: ctx.requestId, tenant: tenant.handle, reportId });
          if (form) return formLanding(set, 'support', reportId, ctx.requestId);
          set.status = 201;
          return { reportId, requestId: ctx.requestId };
        },
        {
          transform: ({ body }) => blankAsAbsent(body, SUPPORT_REPORT_FIELDS),
          body: SupportReportBody,
          response: { 201: Filed },
          detail: operation({
            summary: 'A shopper’s support report (anonymous unless a live session comes with it)',
            tags: ['support'],
            security: [...VISITOR, {}],
            errors: ['invalid_request', 'unknown_handle', 'csrf_rejected', 'rate_limited', 'daily_limit_reached'],
            bare: { 303: FORM_LANDING },
            rateLimited: true,
            idempotent: true,
            forms: true,
          }),
        },
      )
      .post(
        '/v2/public/content-report',
        async ({ ctx, request, body, set }) => {
          const input = contentReportInput(body);
          const { tenant } = await ctx.visitorTenant(body.handle);
          const form = bodyKindOf(request) === 'form';
          if (form) assertOriginAllowed(request, tenant, config);
          await ctx.enforceLimits('content-report', tenant.id, { ip: ctx.clientIp });
          const now = clock.now();
          const reportId = await insertContentReport(db, {
            tenantId: tenant.id,
            requestId: ctx.requestId,
            ...input,
            ip: ctx.clientIp,
            userAgent: ctx.userAgent?.slice(0, 512) ?? null,
            now,
          });
          await recordAudit(db, {
            kind: 'content_report_filed',
            actor: 'anonymous',
            requestId: ctx.requestId,
            tenantId: tenant.id,
            detail: { reportId },
            at: now,
          });
          deps.logger.info('content report filed', { requestId: ctx.requestId, tenant: tenant.handle, reportId });
          if (form) return formLanding(set, 'content', reportId, ctx.requestId);
          set.status = 202;
          return { reportId, requestId: ctx.requestId };
        },
        {
          transform: ({ body }) => blankAsAbsent(body, CONTENT_REPORT_FIELDS),
          body: ContentReportBody,
          response: { 202: Filed },
          detail: operation({
            summary: 'Report content on a storefront (anyone)',
            tags: ['support'],
            security: PUBLIC,
            errors: ['invalid_request', 'invalid_email', 'unknown_handle', 'csrf_rejected', 'rate_limited', 'daily_limit_reached'],
            bare: { 303: FORM_LANDING },
            rateLimited: true,
            idempotent: true,
            forms: true,
          }),
        },
      )
      .get(
        REPORT_SENT_PATH,
        async ({ ctx, request, query, set }) => {
          const tenant = await ctx.hostTenant();
          Object.assign(set.headers, pageHeaders(tenant));
          const locale = negotiateLocale(request.headers.get('accept-language'), tenant?.locale);
          if (tenant) languageHeaders(set.headers, locale);
          const storefront = tenant && { branding: tenant, home: `${ctx.linkOrigin(tenant)}/` };
          return reportSentPage({ storefront, locale, requestId: ctx.requestId, query });
        },
        {
          detail: operation({
            summary: 'Where a report form lands: the report number and reference to quote',
            tags: ['support', 'pages'],
            security: PUBLIC,
            errors: [],
            html: { 200: 'The confirmation page.' },
          }),
        },
      )
      .use(operatorRoutes(deps))
  );
}
