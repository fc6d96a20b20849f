// POST /v2/access/visitors/sign-out — "sign out everywhere" for a storefront whose buyer reports a
// lost device: every live session of the visitor of that address at the caller's storefront ends
// (cookie, bearer, order-scoped, passkey-made alike: all are sessions of that visitor), each with
// its `session.revoked` webhook, audited as `sessions_revoked_all` by the credential. The edge
// refuses them at once on this instance (its cache forgets the visitor) and within
// EDGE_CACHE_SECONDS on the others. An unknown address answers like one without sessions.
import { Elysia, t } from 'elysia';
import { forgetVisitorAtTheEdge } from '../access/edge-cache.ts';
import type { AppDeps } from '../app-deps.ts';
import { recordAudit } from '../audit/audit.ts';
import { AppError } from '../errors.ts';
import { bodyKindOf } from '../http/body.ts';
import { operation, serverCaller } from '../openapi/schemas.ts';
import { routeContext } from '../route-context.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { findVisitor } from '../visitors/visitors.ts';
import { revokeVisitorSessions } from './queries.ts';

export const SIGN_OUT_PATH = '/v2/access/visitors/sign-out';

export function signOutRoutes(deps: AppDeps) {
  return new Elysia({ name: 'visitor-sign-out' }).use(routeContext(deps)).post(
    SIGN_OUT_PATH,
    async ({ ctx, request, body }) => {
      if (bodyKindOf(request) === 'form') throw new AppError('unsupported_media_type', { detail: 'Server routes take application/json.' });
      const caller = await ctx.requireCaller('access:write');
      const tenant = await deps.tenants.forId(caller.tenantId);
      if (!tenant) throw new AppError('unauthorized', { detail: 'The credential belongs to no storefront.' });
      if (body.handle !== undefined && body.handle !== tenant.handle) {
        throw new AppError('wrong_tenant', { detail: `This credential belongs to the storefront "${tenant.handle}".` });
      }
      const email = normaliseEmail(body.email);
      if (!email) throw new AppError('invalid_email', { detail: 'email must be a valid email address.' });
      ctx.facts.tenantId = tenant.id;
      const now = deps.clock.now();
      const { visitorId, revoked } = await deps.db.transaction(async (tx) => {
        const visitor = await findVisitor(tx, tenant.id, email);
        const count = visitor ? await revokeVisitorSessions(tx, visitor.id, now, ctx.requestId) : 0;
        await recordAudit(tx, {
          kind: 'sessions_revoked_all',
          actor: `${caller.kind}:${caller.id}`,
          requestId: ctx.requestId,
          tenantId: tenant.id,
          visitorId: visitor?.id ?? null,
          detail: { reason: 'signed out everywhere by the storefront', count },
          at: now,
        });
        return { visitorId: visitor?.id ?? null, revoked: count };
      });
      if (visitorId) {
        ctx.facts.visitorId = visitorId;
        forgetVisitorAtTheEdge(visitorId);
      }
      return { revoked };
    },
    {
      body: t.Object({
        email: t.String({ maxLength: 512, examples: ['demo@example.com'] }),
        handle: t.Optional(t.String({ maxLength: 64, description: 'The storefront; must be the credential’s own when sent.' })),
      }),
      response: {
        200: t.Object({
          revoked: t.Integer({ minimum: 0, description: 'Sessions ended now (0 for an address without live sessions, or unknown).' }),
        }),
      },
      detail: operation({
        summary: 'Sign a shopper (by email) out everywhere: every live session of the address at this storefront ends',
        tags: ['access'],
        security: serverCaller('access:write'),
        errors: ['unauthorized', 'insufficient_scope', 'wrong_tenant', 'invalid_email'],
        idempotent: true,
      }),
    },
  );
}
