// A link as the sign-in routes meet it: the link machinery's deps, who presents it (for the replay
// event), whose it is (noted for the request log), a replay shown to the verify API, the session
// the presenting browser already holds, and the audit rows of the flow.
import type { AppDeps } from '../app-deps.ts';
import { recordAudit, type AuditKind } from '../audit/audit.ts';
import type { RouteContext } from '../route-context.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { recordReplay, type Presenter } from './confirm.ts';
import { classifyLink, type LinkState } from './magic-link.ts';

export type LinkDeps = ReturnType<typeof linkDepsOf>;

/** What requestMagicLink, confirmLink and friends need, with the service's session TTL. */
export function linkDepsOf(deps: AppDeps) {
  const { db, keys, clock, logger, outbox, config } = deps;
  return { db, keys, clock, logger, outbox, sessionTtlSeconds: config.sessionTtlSeconds };
}

export function presenterOf(ctx: RouteContext): Presenter {
  return { requestId: ctx.requestId, ip: ctx.clientIp, userAgent: ctx.userAgent };
}

/** Classifies a link and notes whose it is, for the request log. */
export async function classifyNoting(linkDeps: LinkDeps, ctx: RouteContext, tenant: Tenant, token: string): Promise<LinkState> {
  const state = await classifyLink(linkDeps, tenant, token);
  if (state.kind !== 'invalid') Object.assign(ctx.facts, { tenantId: tenant.id, visitorId: state.link.visitor_id });
  return state;
}

/** A used link presented to the verify API (which sends no browser on). */
export function recordReplayed(linkDeps: LinkDeps, ctx: RouteContext, tenant: Tenant, state: Extract<LinkState, { kind: 'used' }>) {
  return recordReplay(linkDeps, tenant, state, presenterOf(ctx));
}

/** The session this browser (or bearer) holds: the one a used link may have created. */
export async function heldSessionId(ctx: RouteContext): Promise<string | null> {
  return (await ctx.presentedSession())?.id ?? null;
}

/** An audit row of the visitor's sign-in flow, under this request's id. */
export function auditVisitor(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  ctx: RouteContext,
  tenant: Tenant,
  kind: AuditKind,
  fields: { visitorId?: string | null; sessionId?: string | null; detail?: Record<string, unknown> } = {},
) {
  return recordAudit(deps.db, { kind, actor: 'visitor', requestId: ctx.requestId, tenantId: tenant.id, at: deps.clock.now(), ...fields });
}

/** A link page's tenant: the edge host's (noted for the request log); null on any other host. */
export async function linkTenant(ctx: RouteContext): Promise<Tenant | null> {
  return (await ctx.visitorTenant(undefined).catch(() => null))?.tenant ?? null;
}
