// Grants API for storefront servers, and the visitor's own access list.
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import type { ServerCaller } from '../credentials/caller.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf, invalid } from '../http/body.ts';
import { routeContext } from '../route-context.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { deleteGrant, listGrants, listLiveGrants, upsertGrant, type Grant } from './grants.ts';
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
          handle: t.Optional(t.String({ maxLength: 64 })),
          email: t.String({ maxLength: 512 }),
          resource: t.String({ maxLength: 1024 }),
          kind: t.Union([t.Literal('content'), t.Literal('order')]),
          title: t.Optional(t.Nullable(t.String({ maxLength: 200 }))),
          orderId: t.Optional(t.Nullable(t.String({ maxLength: 200 }))),
          expiresAt: t.Optional(t.Nullable(t.String({ maxLength: 64 }))),
        }),
      },
    )
    .get('/v2/access/grants', async ({ ctx, query }) => {
      const caller = await ctx.requireCaller('access:read');
      const tenant = await callerTenant(caller, typeof query.handle === 'string' ? query.handle : undefined);
      return { items: await listGrants(deps.db, tenant.id, emailOrThrow(query.email)) };
    })
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
        body: t.Object({
          handle: t.Optional(t.String({ maxLength: 64 })),
          email: t.String({ maxLength: 512 }),
          resource: t.String({ maxLength: 1024 }),
        }),
      },
    )
    .get('/v2/visitor/access', async ({ ctx, query }) => {
      // Server-side form: a storefront credential with access:read asks about an email.
      if (await ctx.caller()) {
        const caller = await ctx.requireCaller('access:read');
        const tenant = await callerTenant(caller, undefined);
        const grants = await listLiveGrants(deps.db, tenant.id, emailOrThrow(query.email), deps.clock.now());
        return { items: grants.map(visitorItem) };
      }
      const { session, tenant } = await ctx.requireUsedSession();
      // An order-scoped session (from a checkout handoff) sees that order's grants only.
      const grants = await listLiveGrants(deps.db, tenant.id, session.email, deps.clock.now(), session.order_id);
      return { items: grants.map(visitorItem) };
    });
}
