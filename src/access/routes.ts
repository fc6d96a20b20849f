// Grants API for storefront servers, and the visitor's own access list.
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import type { ServerCaller } from '../credentials/caller.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf, invalid } from '../http/body.ts';
import { IsoTime, operation, serverCaller, VISITOR } from '../openapi/schemas.ts';
import { routeContext } from '../route-context.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { deleteGrant, listGrants, listLiveGrants, listVisitorLiveGrants, upsertGrant, type Grant } from './grants.ts';
import { isNormalisedResource } from './paths.ts';

function jsonOnly(request: Request): void {
  // Server routes take JSON only.
  if (bodyKindOf(request) === 'form') throw new AppError('unsupported_media_type', { detail: 'Server routes take application/json.' });
}

function emailOrThrow(value: unknown): string {
  const email = normaliseEmail(value);
  if (!email) throw new AppError('invalid_email', { detail: 'email must be a valid email address.' });
  return email;
}

function resourceOrThrow(value: unknown): string {
  if (typeof value !== 'string' || !isNormalisedResource(value)) {
    throw new AppError('invalid_resource', {
      detail: 'resource must be a normalised path (`/orders/A-1`) or prefix (`/content/course-1/*`).',
    });
  }
  return value;
}

const Handle = t.String({ maxLength: 64, description: 'The storefront; must be the credential’s own when sent.' });
const Email = t.String({ maxLength: 512, examples: ['demo@example.com'] });
const Resource = t.String({
  maxLength: 1024,
  description: 'A normalised path (`/orders/A-1`) or prefix (`/content/course-1/*`).',
  examples: ['/content/demo/*'],
});
const Kind = t.Union([t.Literal('content'), t.Literal('order')]);

const GrantSchema = t.Object({
  email: t.String(),
  resource: t.String(),
  kind: Kind,
  title: t.Nullable(t.String()),
  orderId: t.Nullable(t.String()),
  expiresAt: t.Nullable(IsoTime()),
  grantedAt: IsoTime(),
});

const VisitorItem = t.Object({
  resource: t.String(),
  kind: Kind,
  title: t.Nullable(t.String()),
  orderId: t.Nullable(t.String()),
  grantedAt: IsoTime(),
  expiresAt: t.Nullable(IsoTime()),
});

const SERVER_ERRORS = ['unauthorized', 'insufficient_scope', 'wrong_tenant', 'invalid_email'] as const;

function visitorItem(grant: Grant) {
  return {
    resource: grant.resource,
    kind: grant.kind,
    title: grant.title,
    orderId: grant.orderId,
    grantedAt: grant.grantedAt,
    expiresAt: grant.expiresAt,
  };
}

export function accessRoutes(deps: AppDeps) {
  /** The caller's tenant; a body `handle` naming another tenant is wrong_tenant. */
  async function callerTenant(caller: ServerCaller & { tenantId: string }, handle: unknown): Promise<Tenant> {
    const tenant = await deps.tenants.forId(caller.tenantId);
    if (!tenant) throw new AppError('unauthorized', { detail: 'The credential belongs to no storefront.' });
    if (handle !== undefined && handle !== tenant.handle) {
      throw new AppError('wrong_tenant', { detail: `This credential belongs to the storefront "${tenant.handle}".` });
    }
    return tenant;
  }

  return new Elysia({ name: 'access' })
    .use(routeContext(deps))
    .put(
      '/v2/access/grants',
      async ({ ctx, request, body, set }) => {
        jsonOnly(request);
        const caller = await ctx.requireCaller('access:write');
        const tenant = await callerTenant(caller, body.handle);
        const expiresAt = body.expiresAt === undefined || body.expiresAt === null ? null : new Date(body.expiresAt);
        if (expiresAt && Number.isNaN(expiresAt.getTime())) throw invalid('expiresAt', 'expiresAt must be an ISO 8601 date-time.');
        const { grant, created } = await upsertGrant(
          deps.db,
          tenant.id,
          {
            email: emailOrThrow(body.email),
            resource: resourceOrThrow(body.resource),
            kind: body.kind,
            title: body.title ?? null,
            orderId: body.orderId ?? null,
            expiresAt,
          },
          deps.clock.now(),
          ctx.requestId,
        );
        set.status = created ? 201 : 200;
        return grant;
      },
      {
        body: t.Object({
          handle: t.Optional(Handle),
          email: Email,
          resource: Resource,
          kind: Kind,
          title: t.Optional(t.Nullable(t.String({ maxLength: 200 }))),
          orderId: t.Optional(t.Nullable(t.String({ maxLength: 200 }))),
          expiresAt: t.Optional(t.Nullable(t.String({ maxLength: 64, description: 'ISO 8601 date-time; absent or null: never.' }))),
        }),
        response: { 200: GrantSchema, 201: GrantSchema },
        detail: operation({
          summary: 'Grant a shopper (by email) a resource: 201 created, 200 updated',
          tags: ['access'],
          security: serverCaller('access:write'),
          errors: [...SERVER_ERRORS, 'invalid_resource'],
        }),
      },
    )
    .get(
      '/v2/access/grants',
      async ({ ctx, query }) => {
        const caller = await ctx.requireCaller('access:read');
        const tenant = await callerTenant(caller, query.handle);
        return { items: await listGrants(deps.db, tenant.id, emailOrThrow(query.email)) };
      },
      {
        query: t.Object({ email: Email, handle: t.Optional(Handle) }),
        response: { 200: t.Object({ items: t.Array(GrantSchema) }) },
        detail: operation({
          summary: 'A shopper’s grants at the caller’s storefront (expired ones included)',
          tags: ['access'],
          security: serverCaller('access:read'),
          errors: [...SERVER_ERRORS],
        }),
      },
    )
    .delete(
      '/v2/access/grants',
      async ({ ctx, request, body, set }) => {
        jsonOnly(request);
        const caller = await ctx.requireCaller('access:write');
        const tenant = await callerTenant(caller, body.handle);
        await deleteGrant(deps.db, tenant.id, emailOrThrow(body.email), resourceOrThrow(body.resource), deps.clock.now(), ctx.requestId);
        set.status = 204;
        return '';
      },
      {
        body: t.Object({ handle: t.Optional(Handle), email: Email, resource: Resource }),
        detail: operation({
          summary: 'Revoke a grant (204 whether or not it existed)',
          tags: ['access'],
          security: serverCaller('access:write'),
          errors: [...SERVER_ERRORS, 'invalid_resource'],
          bare: { 204: 'Revoked (or there was nothing to revoke).' },
        }),
      },
    )
    .get(
      '/v2/visitor/access',
      async ({ ctx, query }) => {
        // Server-side form: a storefront credential with access:read asks about an email.
        if (await ctx.caller()) {
          const caller = await ctx.requireCaller('access:read');
          const tenant = await callerTenant(caller, undefined);
          const grants = await listLiveGrants(deps.db, tenant.id, emailOrThrow(query.email), deps.clock.now());
          return { items: grants.map(visitorItem) };
        }
        const { session, tenant } = await ctx.requireUsedSession();
        // Every verified address's grants; an order-scoped session (from a checkout handoff) sees that order's only.
        const grants = await listVisitorLiveGrants(deps.db, tenant.id, session.visitor_id, deps.clock.now(), session.order_id);
        return { items: grants.map(visitorItem) };
      },
      {
        query: t.Object({ email: t.Optional(t.String({ maxLength: 512, description: 'Server callers only: whose access.' })) }),
        response: { 200: t.Object({ items: t.Array(VisitorItem) }) },
        detail: operation({
          summary: 'Live grants of the signed-in shopper (or, for a server caller, of `email`)',
          tags: ['access', 'visitor'],
          security: [...VISITOR, ...serverCaller('access:read')],
          errors: ['not_signed_in', 'wrong_tenant', ...SERVER_ERRORS],
        }),
      },
    );
}
