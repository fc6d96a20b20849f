// Webhook endpoints API for storefront servers (PAT or storefront JWT): webhooks:write registers,
// removes and rotates; webhooks:read lists. A secret is in the answer that created it (or rotated
// it) and nowhere else: these POSTs take no Idempotency-Key, whose stored answer would keep it.
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import type { ServerCaller } from '../credentials/caller.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf, invalid } from '../http/body.ts';
import { IsoTime, operation, serverCaller, Text } from '../openapi/schemas.ts';
import { routeContext } from '../route-context.ts';
import {
  createEndpoint,
  InvalidWebhookEvents,
  parseEvents,
  removeEndpoint,
  rotateSecret,
  tenantEndpoints,
  WebhookUrlRefused,
} from './endpoints.ts';

const ERRORS = ['unauthorized', 'insufficient_scope', 'wrong_tenant'] as const;

const EndpointItem = t.Object({
  id: t.String({ format: 'uuid' }),
  url: t.String(),
  events: t.Array(t.String(), { description: 'Event types, or ["*"] for every one.' }),
  createdAt: IsoTime(),
});

const EndpointId = t.Object({ id: Text({ maxLength: 64, description: 'An endpoint id from GET /v2/webhooks/endpoints.' }) });

function jsonOnly(request: Request): void {
  if (bodyKindOf(request) === 'form') throw new AppError('unsupported_media_type', { detail: 'Server routes take application/json.' });
}

export function webhookRoutes(deps: AppDeps) {
  async function tenantOf(caller: ServerCaller & { tenantId: string }): Promise<string> {
    const tenant = await deps.tenants.forId(caller.tenantId);
    if (!tenant) throw new AppError('unauthorized', { detail: 'The credential belongs to no storefront.' });
    return tenant.id;
  }

  return new Elysia({ name: 'webhooks' })
    .use(routeContext(deps))
    .post(
      '/v2/webhooks/endpoints',
      async ({ ctx, request, body, set }) => {
        jsonOnly(request);
        const tenantId = await tenantOf(await ctx.requireCaller('webhooks:write'));
        let events: string[];
        try {
          events = parseEvents(body.events);
        } catch (error) {
          if (error instanceof InvalidWebhookEvents) throw invalid('events', error.message);
          throw error;
        }
        try {
          const endpoint = await createEndpoint(
            { db: deps.db, keys: deps.keys, urlPolicy: deps.webhookUrlPolicy },
            tenantId,
            { url: body.url, events, description: body.description ?? null, includeEmail: body.includeEmail ?? false },
            deps.clock.now(),
          );
          set.status = 201;
          return { id: endpoint.id, url: endpoint.url, events: endpoint.events, secret: endpoint.secret, createdAt: endpoint.createdAt };
        } catch (error) {
          if (error instanceof WebhookUrlRefused) throw new AppError('invalid_webhook_url', { detail: error.message });
          throw error;
        }
      },
      {
        body: t.Object({
          url: t.String({ maxLength: 2048 }),
          events: t.Array(t.String({ maxLength: 64 }), { maxItems: 32 }),
          description: t.Optional(t.Nullable(t.String({ maxLength: 200 }))),
          includeEmail: t.Optional(t.Boolean()),
        }),
        response: { 201: t.Composite([EndpointItem, t.Object({ secret: t.String({ description: 'whsec_…, shown once.' }) })]) },
        detail: operation({
          summary: 'Register a webhook endpoint (its signing secret is in this answer only)',
          tags: ['webhooks'],
          security: serverCaller('webhooks:write'),
          errors: [...ERRORS, 'invalid_webhook_url', 'unsupported_media_type'],
        }),
      },
    )
    .get(
      '/v2/webhooks/endpoints',
      async ({ ctx }) => {
        const tenantId = await tenantOf(await ctx.requireCaller('webhooks:read'));
        const endpoints = await tenantEndpoints(deps.db, tenantId);
        return { items: endpoints.map((e) => ({ id: e.id, url: e.url, events: e.events, createdAt: e.createdAt })) };
      },
      {
        response: { 200: t.Object({ items: t.Array(EndpointItem) }) },
        detail: operation({
          summary: 'The storefront’s webhook endpoints (never their secrets)',
          tags: ['webhooks'],
          security: serverCaller('webhooks:read'),
          errors: [...ERRORS],
        }),
      },
    )
    .delete(
      '/v2/webhooks/endpoints/:id',
      async ({ ctx, params, set }) => {
        const tenantId = await tenantOf(await ctx.requireCaller('webhooks:write'));
        if (!(await removeEndpoint(deps.db, tenantId, params.id)))
          throw new AppError('not_found', { detail: 'No webhook endpoint with that id.' });
        set.status = 204;
        return '';
      },
      {
        params: EndpointId,
        detail: operation({
          summary: 'Remove a webhook endpoint (its pending deliveries are dropped)',
          tags: ['webhooks'],
          security: serverCaller('webhooks:write'),
          errors: [...ERRORS, 'not_found'],
          bare: { 204: 'Removed.' },
        }),
      },
    )
    .post(
      '/v2/webhooks/endpoints/:id/rotate-secret',
      async ({ ctx, params }) => {
        const tenantId = await tenantOf(await ctx.requireCaller('webhooks:write'));
        const rotated = await rotateSecret(deps, tenantId, params.id, deps.clock.now());
        if (!rotated) throw new AppError('not_found', { detail: 'No webhook endpoint with that id.' });
        return rotated;
      },
      {
        params: EndpointId,
        response: {
          200: t.Object({
            id: t.String({ format: 'uuid' }),
            secret: t.String({ description: 'The new whsec_… secret, shown once.' }),
            previousSecretExpiresAt: IsoTime('Until then deliveries are signed with both secrets.'),
          }),
        },
        detail: operation({
          summary: 'Rotate an endpoint’s signing secret (both sign for 24 hours)',
          tags: ['webhooks'],
          security: serverCaller('webhooks:write'),
          errors: [...ERRORS, 'not_found'],
        }),
      },
    );
}
