// /v2/operator/*: escalations and the request-id lookup. Service PATs only (operator.ts); JSON only.
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { recordAudit } from '../audit/audit.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf } from '../http/body.ts';
import { IsoTime, operation, operatorCaller, Text } from '../openapi/schemas.ts';
import { routeContext } from '../route-context.ts';
import { requireOperator } from './operator.ts';
import { findReportTenant, findRequestTenant, insertEscalation } from './queries.ts';
import { blankAsAbsent, ESCALATION_FIELDS, EscalationBody, escalationInput, REQUEST_ID_SHAPE } from './reports.ts';
import { lookUpRequest } from './request-lookup.ts';

function jsonOnly(request: Request): void {
  if (bodyKindOf(request) === 'form') throw new AppError('unsupported_media_type', { detail: 'Operator routes take application/json.' });
}

const Nullable = t.Nullable;
/** The lookup's main facts; the lists (mail, audit, securityEvents, reports …) are described in docs/api.md. */
const RequestStory = t.Object(
  {
    requestId: t.String(),
    route: Nullable(t.Object({ method: t.String(), path: t.String() })),
    status: Nullable(t.Integer()),
    code: Nullable(t.String()),
    tenant: Nullable(t.Object({ id: t.String(), handle: Nullable(t.String()) })),
    visitor: Nullable(t.Object({ id: t.String(), email: Nullable(t.String()) })),
    sessionId: Nullable(t.String()),
    client: Nullable(t.Object({ ip: Nullable(t.String()), userAgent: Nullable(t.String()) })),
    timings: t.Object({ at: Nullable(IsoTime()), durationMs: Nullable(t.Number()) }),
    logged: t.Boolean({ description: 'Whether the request log holds it yet (written a fraction of a second late).' }),
    window: Nullable(t.Object({ from: Nullable(IsoTime()), to: Nullable(IsoTime()) })),
  },
  { additionalProperties: true },
);

const OPERATOR_ERRORS = ['unauthorized', 'wrong_audience'] as const;

export function operatorRoutes(deps: AppDeps) {
  const { db, clock } = deps;

  return new Elysia({ name: 'support-operator' })
    .use(routeContext(deps))
    .post(
      '/v2/operator/escalations',
      async ({ ctx, body, set }) => {
        const operator = await requireOperator(ctx, 'operator:escalate'); // checked in `transform`; the caller is memoised
        const input = escalationInput(body);
        const report = input.reportId ? await findReportTenant(db, input.reportId) : null;
        if (report === undefined) throw new AppError('not_found', { detail: `No support report has the id ${input.reportId}.` });
        const tenantId = report?.tenantId ?? (input.citedRequestId ? await findRequestTenant(db, input.citedRequestId) : null);
        if (tenantId) ctx.facts.tenantId = tenantId;
        const now = clock.now();
        const escalationId = await insertEscalation(db, {
          tenantId,
          reportId: input.reportId,
          requestId: ctx.requestId,
          citedRequestId: input.citedRequestId,
          summary: input.summary,
          severity: input.severity,
          patId: operator.id,
          now,
        });
        await recordAudit(db, {
          kind: 'escalation_filed',
          actor: `operator:${operator.id}`,
          requestId: ctx.requestId,
          tenantId,
          detail: { escalationId, reportId: input.reportId, citedRequestId: input.citedRequestId, severity: input.severity },
          at: now,
        });
        deps.logger.info('escalation filed', { requestId: ctx.requestId, escalationId, severity: input.severity, operator: operator.id });
        set.status = 201;
        return { escalationId, requestId: ctx.requestId };
      },
      {
        // The audience rule comes before the body's schema (Elysia validates after `transform`):
        // anyone but an operator learns nothing about the body's shape.
        async transform({ ctx, request, body }) {
          await requireOperator(ctx, 'operator:escalate');
          jsonOnly(request);
          blankAsAbsent(body, ESCALATION_FIELDS);
        },
        body: EscalationBody,
        response: { 201: t.Object({ escalationId: t.String(), requestId: t.String() }) },
        detail: operation({
          summary: 'Escalate a support report or a request to engineering',
          tags: ['operator'],
          security: operatorCaller('operator:escalate'),
          errors: [...OPERATOR_ERRORS, 'invalid_request', 'not_found'],
          idempotent: true,
        }),
      },
    )
    .get(
      '/v2/operator/requests/:requestId',
      async ({ ctx, params }) => {
        await requireOperator(ctx, 'operator:read');
        const found = REQUEST_ID_SHAPE.test(params.requestId) ? await lookUpRequest(deps, params.requestId) : null;
        if (!found)
          throw new AppError('not_found', {
            detail: 'No request with this id is known (the request log keeps what it has seen; the edge check is not logged).',
          });
        return found;
      },
      {
        params: t.Object({ requestId: Text({ description: 'A request id (X-Request-Id).' }) }),
        response: { 200: RequestStory },
        detail: operation({
          summary: 'Everything known about one request id',
          tags: ['operator'],
          security: operatorCaller('operator:read'),
          errors: [...OPERATOR_ERRORS, 'not_found'],
        }),
      },
    );
}
