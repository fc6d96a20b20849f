// Support routes: a shopper's support report and a public content report (both forwarded on every
// edge host, JSON or browser form), the page a form lands on, and the operator routes.
import { Elysia } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { recordAudit } from '../audit/audit.ts';
import { bodyKindOf } from '../http/body.ts';
import { seeOther, type SetContext } from '../http/cookies.ts';
import { assertOriginAllowed, originAllowed } from '../http/csrf.ts';
import { requestContext } from '../http/request-context.ts';
import { visitorTenant } from '../http/visitor-tenant.ts';
import { AppError } from '../errors.ts';
import type { LimitKeys } from '../limits/limiter.ts';
import type { LimitRoute } from '../limits/policies.ts';
import { currentSession } from '../sessions/current.ts';
import type { VisitorSession } from '../sessions/sessions.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { operatorRoutes } from './operator-routes.ts';
import { reportSentPage, REPORT_SENT_PATH } from './pages.ts';
import { insertContentReport, insertSupportReport } from './queries.ts';
import { parseContentReport, parseSupportReport } from './reports.ts';

type CookieJar = Record<string, { value?: unknown }>;

type Body = Record<string, unknown>;

export function supportRoutes(deps: AppDeps) {
  const { config, db, clock } = deps;

  /** Counts the request against the route's limits; the RateLimit headers go on whatever answer follows. */
  async function enforceLimits(request: Request, route: LimitRoute, tenant: Tenant, keys: LimitKeys): Promise<void> {
    const limits = await deps.limiter.hit(route, tenant.id, keys);
    Object.assign(requestContext(request, config).responseHeaders, limits.headers);
    if (limits.blocking) throw deps.limiter.refusal(limits.blocking);
  }

  /**
   * The shopper's live session at this tenant, to attach to the report — never a reason to refuse
   * one: a bad, expired or other-tenant session just files the report anonymously. A cookie session
   * is attached only when the request passes the Origin check, so no other site can file reports
   * in a shopper's name.
   */
  async function attachableSession(request: Request, jar: CookieJar, tenant: Tenant): Promise<VisitorSession | null> {
    const context = requestContext(request, config);
    let session: VisitorSession | null = null;
    try {
      session = (await currentSession(deps, request, jar)).session;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
    }
    if (session && (session.tenant_id !== tenant.id || (session.via === 'cookie' && !originAllowed(request, tenant, config)))) session = null;
    // currentSession noted whichever session came; the request log keeps only the attached one.
    context.facts.tenantId = tenant.id;
    if (session) Object.assign(context.facts, { visitorId: session.visitor_id, sessionId: session.id });
    else {
      delete context.facts.visitorId;
      delete context.facts.sessionId;
    }
    return session;
  }

  function formLanding(set: SetContext, kind: 'support' | 'content', reportId: string, requestId: string): string {
    return seeOther(set, `${REPORT_SENT_PATH}?${new URLSearchParams({ kind, reportId, requestId })}`);
  }

  return new Elysia({ name: 'support' })
    // Bodies are validated by hand (reports.ts): one 400 lists every bad field, types and lengths alike.
    .post('/v2/support/report', async ({ request, body: raw, set, cookie }) => {
      const body = raw as Body;
      const context = requestContext(request, config);
      const input = parseSupportReport(body);
      const { tenant } = await visitorTenant(deps.tenants, context, body.handle ?? undefined);
      const form = bodyKindOf(request) === 'form';
      if (form) assertOriginAllowed(request, tenant, config);
      const session = await attachableSession(request, cookie as CookieJar, tenant);
      await enforceLimits(request, 'support-report', tenant, { ip: context.clientIp, handle: tenant.handle });
      const now = clock.now();
      const reportId = await insertSupportReport(db, {
        tenantId: tenant.id,
        visitorId: session?.visitor_id ?? null,
        sessionId: session?.id ?? null,
        requestId: context.requestId,
        citedRequestId: input.citedRequestId,
        citedSessionId: input.citedSessionId,
        summary: input.summary,
        details: input.details,
        reproArtifact: input.reproArtifact,
        ip: context.clientIp,
        userAgent: context.userAgent?.slice(0, 512) ?? null,
        now,
      });
      await recordAudit(db, {
        kind: 'report_filed',
        actor: session ? 'visitor' : 'anonymous',
        requestId: context.requestId,
        tenantId: tenant.id,
        visitorId: session?.visitor_id ?? null,
        sessionId: session?.id ?? null,
        detail: { reportId, citedRequestId: input.citedRequestId, hasArtifact: input.reproArtifact !== null },
        at: now,
      });
      deps.logger.info('support report filed', { requestId: context.requestId, tenant: tenant.handle, reportId });
      if (form) return formLanding(set, 'support', reportId, context.requestId);
      set.status = 201;
      return { reportId, requestId: context.requestId };
    })
    .post('/v2/public/content-report', async ({ request, body: raw, set }) => {
      const body = raw as Body;
      const context = requestContext(request, config);
      const input = parseContentReport(body);
      const { tenant } = await visitorTenant(deps.tenants, context, body.handle ?? undefined);
      const form = bodyKindOf(request) === 'form';
      if (form) assertOriginAllowed(request, tenant, config);
      await enforceLimits(request, 'content-report', tenant, { ip: context.clientIp });
      const now = clock.now();
      const reportId = await insertContentReport(db, {
        tenantId: tenant.id,
        requestId: context.requestId,
        ...input,
        ip: context.clientIp,
        userAgent: context.userAgent?.slice(0, 512) ?? null,
        now,
      });
      await recordAudit(db, {
        kind: 'content_report_filed',
        actor: 'anonymous',
        requestId: context.requestId,
        tenantId: tenant.id,
        detail: { reportId },
        at: now,
      });
      deps.logger.info('content report filed', { requestId: context.requestId, tenant: tenant.handle, reportId });
      if (form) return formLanding(set, 'content', reportId, context.requestId);
      set.status = 202;
      return { reportId, requestId: context.requestId };
    })
    .get(REPORT_SENT_PATH, async ({ request, query, set }) => {
      const context = requestContext(request, config);
      const tenant = await deps.tenants.forHost(context.hostname);
      set.headers['content-type'] = 'text/html; charset=utf-8';
      return reportSentPage({ brand: tenant?.name ?? 'Visitor Access', requestId: context.requestId, query });
    })
    .use(operatorRoutes(deps));
}
