// A storefront's webhooks in the console: GET shows the endpoints and dead deliveries (everyone who
// sees the storefront), POST adds an endpoint (admins; checked like every console form: same
// origin, the session's CSRF token). The URL and events go through the webhooks feature's own
// functions, so the API's rules (SSRF included) apply; the new secret is in that POST's answer
// only. Removing, rotating and re-sending are confirmed actions (actions.ts).
import { Elysia } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { operatorActor, recordAudit } from '../audit/audit.ts';
import { routeContext } from '../route-context.ts';
import {
  createEndpoint,
  InvalidWebhookEvents,
  listDeliveries,
  parseEvents,
  tenantEndpointsWithHealth,
  WebhookUrlRefused,
} from '../webhooks/endpoints.ts';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/events.ts';
import { visibleTenant, wrongAudience, type Viewer } from './access.ts';
import { consoleHandler, type ConsoleRequest } from './handler.ts';
import { consolePages } from './pages.ts';
import { ALL_EVENTS_FIELD, consoleOperation, eventField, HandleParams, RefQuery, WebhookAddBody } from './route-schemas.ts';
import { actionFlash, postedTenantForm } from './flash.ts';
import type { Flash } from './tenant-pages.ts';
import type { WebhookForm } from './webhook-pages.ts';

/** The dead letters the page lists (newest first). */
const DEAD_SHOWN = 50;
const DESCRIPTION_MAX = 200;

/** The banner after a webhook action, only for this operator's own action in that request. */
function describeDone(kind: string, detail: Record<string, unknown>): { tone: 'ok' | 'warn'; message: string } | null {
  switch (kind) {
    case 'webhook_endpoint_added':
      return { tone: 'ok', message: `Endpoint ${String(detail.url)} added.` };
    case 'webhook_endpoint_removed':
      return detail.removed
        ? { tone: 'ok', message: `Endpoint ${String(detail.url)} removed.` }
        : { tone: 'warn', message: 'This endpoint was already removed; nothing changed.' };
    case 'webhook_secret_rotated':
      return { tone: 'ok', message: 'Signing secret rotated; the previous one signs for 24 more hours.' };
    case 'webhook_delivery_resent':
      return detail.resent
        ? { tone: 'ok', message: 'Delivery queued again; the worker sends it within seconds.' }
        : { tone: 'warn', message: 'This delivery was no longer dead (already re-sent or delivered); nothing changed.' };
    default:
      return null;
  }
}

/** The form's typed values: one checkbox per event type, "every event" winning over the others. */
function formValues(body: Record<string, unknown>): WebhookForm['values'] {
  const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim() : '');
  const events = body[ALL_EVENTS_FIELD] ? ['*'] : WEBHOOK_EVENT_TYPES.filter((type) => body[eventField(type)]);
  return { url: text('url'), description: text('description'), includeEmail: Boolean(body.includeEmail), events };
}

export function consoleWebhookRoutes(deps: AppDeps) {
  const { db } = deps;

  const flashFor = (viewer: Viewer, ref: string | undefined) => actionFlash(db, viewer, ref, describeDone);

  async function page(c: ConsoleRequest, viewer: Viewer, form: WebhookForm, flash: Flash): Promise<string> {
    const { view } = await visibleTenant(deps, viewer, c.params.handle!);
    c.ctx.facts.tenantId = view.id;
    const [endpoints, dead] = await Promise.all([
      tenantEndpointsWithHealth(db, view.id),
      listDeliveries(db, { tenantId: view.id, deadOnly: true, limit: DEAD_SHOWN }),
    ]);
    return (await consolePages()).webhooksPage({
      session: viewer.session,
      requestId: c.requestId,
      now: c.now,
      tenant: view,
      endpoints,
      dead,
      isAdmin: viewer.isAdmin,
      form,
      flash,
    });
  }

  return new Elysia({ name: 'console-webhooks' })
    .use(routeContext(deps))
    .get(
      '/console/tenants/:handle/webhooks',
      consoleHandler(deps, async (c) => {
        const viewer = await c.viewer();
        return page(c, viewer, (await consolePages()).EMPTY_WEBHOOK_FORM, await flashFor(viewer, c.query.ref));
      }),
      {
        params: HandleParams,
        query: RefQuery,
        detail: consoleOperation(
          'Console: a storefront’s webhook endpoints and dead deliveries (admins change, support reads)',
          ['not_signed_in', 'wrong_audience', 'not_found'],
          { bare: { 303: 'Not signed in: to /console/sign-in.' } },
        ),
      },
    )
    .post(
      '/console/tenants/:handle/webhooks',
      consoleHandler(deps, async (c) => {
        const { viewer, tenant, view } = await postedTenantForm(deps, c);
        if (!viewer.isAdmin) throw wrongAudience(`Only admins add webhook endpoints for ${view.name}.`);
        const values = formValues(c.body);
        const errors: WebhookForm['errors'] = {};
        let events: string[] = [];
        try {
          events = parseEvents(values.events);
        } catch (error) {
          if (!(error instanceof InvalidWebhookEvents)) throw error;
          errors.events = 'Choose at least one event, or every event.';
        }
        if (/[\u0000-\u001f\u007f]/.test(values.description) || values.description.length > DESCRIPTION_MAX)
          errors.description = `At most ${DESCRIPTION_MAX} characters, on one line.`;
        if (!values.url) errors.url = 'Enter the URL that receives the events.';
        let created: Awaited<ReturnType<typeof createEndpoint>> | null = null;
        if (!Object.keys(errors).length) {
          try {
            created = await createEndpoint(
              { db, keys: deps.keys, urlPolicy: deps.webhookUrlPolicy },
              tenant.id,
              { url: values.url, events, description: values.description || null, includeEmail: values.includeEmail },
              c.now,
            );
          } catch (error) {
            if (!(error instanceof WebhookUrlRefused)) throw error;
            errors.url = `Refused: ${error.message}`;
            c.ctx.facts.code = 'invalid_webhook_url';
          }
        }
        if (!created) {
          c.set.status = 400;
          c.ctx.facts.code ??= 'invalid_request';
          return page(c, viewer, { values, errors }, null);
        }
        await recordAudit(db, {
          kind: 'webhook_endpoint_added',
          actor: operatorActor(viewer.session.operator.id),
          requestId: c.requestId,
          tenantId: tenant.id,
          at: c.now,
          detail: { endpointId: created.id, url: created.url, events: created.events, includeEmail: created.includeEmail },
        });
        return (await consolePages()).secretPage({
          session: viewer.session,
          requestId: c.requestId,
          tenant: view,
          kind: 'added',
          endpointId: created.id,
          url: created.url,
          secret: created.secret,
        });
      }),
      {
        params: HandleParams,
        body: WebhookAddBody,
        detail: consoleOperation(
          'Console: add a webhook endpoint (admins; the secret is shown once)',
          ['not_signed_in', 'invalid_request', 'invalid_webhook_url', 'csrf_rejected', 'wrong_audience', 'not_found'],
          {
            description:
              'Answers 200 with the new endpoint’s signing secret. Bad values: the form again (400), each error beside its field.',
            forms: true,
          },
        ),
      },
    );
}
