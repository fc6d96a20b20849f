// The console's actions: what each one needs (parsed from the confirm page's query or the form),
// who may do it, and doing it — every one written to the audit trail as `operator:<id>` under the
// action's request id. Re-sending a link goes through requestMagicLink and the magic-link limits;
// the webhook actions (admins only) through the webhooks feature's own functions.
import { deleteGrant, upsertGrant, type GrantInput } from '../access/grants.ts';
import { isNormalisedResource } from '../access/paths.ts';
import type { AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { invalid } from '../http/body.ts';
import { requestContext } from '../http/request-context.ts';
import { operatorActor, recordAudit, type AuditKind } from '../audit/audit.ts';
import { revokeOrder } from '../handoffs/handoffs.ts';
import { findNewestLinkForEmail, requestMagicLink } from '../magic-link/magic-link.ts';
import { passkeyOwner, removePasskey } from '../passkeys/passkeys.ts';
import { findSessionOwner, revokeSession, revokeVisitorSessions } from '../sessions/sessions.ts';
import { forgetVisitorAtTheEdge } from '../access/edge-cache.ts';
import { findReportTenant, markReportHandled } from '../support/reports.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { removeEndpoint, resendDelivery, rotateSecret, tenantEndpoint, webhookOwner } from '../webhooks/endpoints.ts';
import { mergeShoppers } from '../visitors/addresses.ts';
import { findVisitor } from '../visitors/visitors.ts';
import { assertBelongs, canEditGrants, wrongAudience, type Viewer } from './access.ts';
import type { ConsoleTenant } from './tenant-queries.ts';

const ACTIONS = [
  'resend',
  'revoke-session',
  'revoke-all',
  'grant-add',
  'grant-remove',
  'report-handled',
  'webhook-remove',
  'webhook-rotate',
  'webhook-resend',
  'revoke-order',
  'passkey-remove',
  'visitors-merge',
] as const;
export type ActionName = (typeof ACTIONS)[number];

export type Action =
  | { name: 'resend'; email: string }
  | { name: 'revoke-session'; email: string; sessionId: string }
  | { name: 'revoke-all'; email: string }
  | { name: 'grant-add'; email: string; grant: GrantInput }
  | { name: 'grant-remove'; email: string; resource: string }
  | { name: 'report-handled'; reportId: string; email: string | null; note: string | null }
  | { name: 'webhook-remove'; endpointId: string; email?: undefined }
  | { name: 'webhook-rotate'; endpointId: string; email?: undefined }
  | { name: 'webhook-resend'; deliveryId: string; email?: undefined }
  /** A refund or chargeback: the order's grants, order-scoped sessions and unused handoffs end. */
  | { name: 'revoke-order'; email: string; orderId: string }
  /** A passkey the shopper lost, or one they did not make: it never signs in again. */
  | { name: 'passkey-remove'; email: string; passkeyId: string }
  /** Two accounts of one buyer: the shopper of `other` becomes part of the shopper of `email`. */
  | { name: 'visitors-merge'; email: string; other: string };

/** What an action leaves to show once: a rotated webhook secret (never stored, never redirected to). */
export type ActionResult = { rotatedSecret: { endpointId: string; secret: string; previousSecretExpiresAt: string } } | null;

/** The longest note "mark handled" keeps (a few sentences; the report holds the story). */
export const NOTE_MAX_CHARS = 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 3339 with a zone, so an expiry never depends on the operator's time zone.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

type Fields = Record<string, unknown>;

const text = (fields: Fields, name: string): string => (typeof fields[name] === 'string' ? (fields[name] as string).trim() : '');

function emailOf(fields: Fields): string {
  const email = normaliseEmail(text(fields, 'email'));
  if (!email) throw new AppError('invalid_email', { detail: 'Enter the shopper’s email address, like name@example.com.' });
  return email;
}

function uuidOf(fields: Fields, name: string): string {
  const value = text(fields, name);
  if (!UUID.test(value)) throw invalid(name, `${name} must be an id (a UUID).`);
  return value.toLowerCase();
}

function resourceOf(fields: Fields): string {
  const resource = text(fields, 'resource');
  if (!isNormalisedResource(resource)) {
    throw new AppError('invalid_resource', {
      detail: 'A resource is a normalised path (/orders/A-1001) or a prefix ending in /* (/content/course-1/*).',
    });
  }
  return resource;
}

function optionalText(fields: Fields, name: string, max: number): string | null {
  const value = text(fields, name);
  if (!value) return null;
  if (value.length > max || /[\u0000-\u001f\u007f]/.test(value))
    throw invalid(name, `${name} must be at most ${max} characters, without control characters.`);
  return value;
}

/** The handled note: optional, bounded, several lines allowed but no other control characters. */
function noteOf(fields: Fields): string | null {
  const value = text(fields, 'note').replace(/\r\n?/g, '\n');
  if (!value) return null;
  if ([...value].length > NOTE_MAX_CHARS || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(value))
    throw invalid('note', `The note must be at most ${NOTE_MAX_CHARS} characters, without control characters.`);
  return value;
}

function expiresAtOf(fields: Fields): Date | null {
  const value = text(fields, 'expiresAt');
  if (!value) return null;
  const date = new Date(value);
  if (!TIMESTAMP.test(value) || Number.isNaN(date.getTime()))
    throw invalid('expiresAt', 'expiresAt must be a date-time with a zone, like 2027-01-31T23:59:59Z.');
  return date;
}

export function parseAction(name: string, fields: Fields): Action {
  switch (name as ActionName) {
    case 'resend':
      return { name: 'resend', email: emailOf(fields) };
    case 'revoke-session':
      return { name: 'revoke-session', email: emailOf(fields), sessionId: uuidOf(fields, 'session') };
    case 'revoke-all':
      return { name: 'revoke-all', email: emailOf(fields) };
    case 'grant-add': {
      const kind = text(fields, 'kind') || 'content';
      if (kind !== 'content' && kind !== 'order') throw invalid('kind', 'kind must be content or order.');
      const grant = {
        email: emailOf(fields),
        resource: resourceOf(fields),
        kind,
        title: optionalText(fields, 'title', 200),
        orderId: optionalText(fields, 'orderId', 100),
        expiresAt: expiresAtOf(fields),
      } as const;
      return { name: 'grant-add', email: grant.email, grant };
    }
    case 'grant-remove':
      return { name: 'grant-remove', email: emailOf(fields), resource: resourceOf(fields) };
    case 'report-handled':
      return {
        name: 'report-handled',
        reportId: uuidOf(fields, 'report'),
        email: text(fields, 'email') ? emailOf(fields) : null,
        note: noteOf(fields),
      };
    case 'webhook-remove':
      return { name: 'webhook-remove', endpointId: uuidOf(fields, 'endpoint') };
    case 'webhook-rotate':
      return { name: 'webhook-rotate', endpointId: uuidOf(fields, 'endpoint') };
    case 'webhook-resend':
      return { name: 'webhook-resend', deliveryId: uuidOf(fields, 'delivery') };
    case 'revoke-order': {
      const orderId = optionalText(fields, 'orderId', 200);
      if (!orderId) throw invalid('orderId', 'orderId is required.');
      return { name: 'revoke-order', email: emailOf(fields), orderId };
    }
    case 'passkey-remove':
      return { name: 'passkey-remove', email: emailOf(fields), passkeyId: uuidOf(fields, 'passkey') };
    case 'visitors-merge': {
      const other = normaliseEmail(text(fields, 'other'));
      if (!other) throw invalid('other', 'Enter the other address of the shopper, like name@example.com.');
      return { name: 'visitors-merge', email: emailOf(fields), other };
    }
    default:
      throw new AppError('not_found', { detail: 'The console has no such action.' });
  }
}

export function isWebhookAction(action: Action): action is Extract<Action, { name: `webhook-${string}` }> {
  return action.name.startsWith('webhook-');
}

/** Role and tenant checks of an action, also against ids guessed from another tenant. */
export async function authorizeAction(deps: AppDeps, viewer: Viewer, tenant: ConsoleTenant, action: Action): Promise<void> {
  if (
    (action.name === 'grant-add' || action.name === 'grant-remove' || action.name === 'revoke-order' || action.name === 'visitors-merge') &&
    !canEditGrants(viewer, tenant)
  ) {
    throw wrongAudience(`Only admins change grants at ${tenant.name}; support operators may when the storefront allows it.`);
  }
  // The shopper the page is about, by any of their addresses (its primary is what owners name).
  const shopperEmail =
    'email' in action && action.email ? ((await findVisitor(deps.db, tenant.id, action.email))?.email ?? action.email) : null;
  if (action.name === 'revoke-session') {
    const owner = await findSessionOwner(deps.db, action.sessionId);
    assertBelongs(owner?.tenant_id, tenant, 'session');
    if (owner!.email !== shopperEmail) throw new AppError('not_found', { detail: 'This session is not this shopper’s.' });
  }
  if (action.name === 'passkey-remove') {
    const owner = await passkeyOwner(deps.db, action.passkeyId);
    assertBelongs(owner?.tenant_id, tenant, 'passkey');
    if (owner!.email !== shopperEmail) throw new AppError('not_found', { detail: 'This passkey is not this shopper’s.' });
  }
  if (action.name === 'report-handled') {
    assertBelongs((await findReportTenant(deps.db, action.reportId))?.tenantId, tenant, 'support report');
  }
  if (isWebhookAction(action)) {
    if (!viewer.isAdmin) throw wrongAudience(`Only admins change ${tenant.name}’s webhooks; support operators see them.`);
    if (action.name === 'webhook-resend')
      assertBelongs(await webhookOwner(deps.db, 'delivery', action.deliveryId), tenant, 'webhook delivery');
    else assertBelongs(await webhookOwner(deps.db, 'endpoint', action.endpointId), tenant, 'webhook endpoint');
  }
}

/** Does the action (already authorised); its audit entries carry this request id. */
export async function performAction(
  deps: AppDeps,
  request: Request,
  viewer: Viewer,
  tenant: Tenant,
  action: Action,
): Promise<ActionResult> {
  const context = requestContext(request, deps.config);
  const now = deps.clock.now();
  const operatorId = viewer.session.operator.id;
  const audit = (kind: AuditKind, fields: { visitorId?: string | null; sessionId?: string | null; detail?: Record<string, unknown> }) =>
    recordAudit(deps.db, { kind, actor: operatorActor(operatorId), requestId: context.requestId, tenantId: tenant.id, at: now, ...fields });
  context.facts.tenantId = tenant.id;
  const visitor = 'email' in action && action.email ? await findVisitor(deps.db, tenant.id, action.email) : undefined;
  if (visitor) context.facts.visitorId = visitor.id;

  switch (action.name) {
    case 'resend': {
      // The shopper's limits apply as to a storefront server asking on their behalf: per tenant and
      // per email (5 mails / 15 min, 20 a day), not per IP — the operator is not the shopper.
      const limits = await deps.limiter.hit('magic-link', tenant.id, { tenant: tenant.id, email: action.email });
      Object.assign(context.responseHeaders, limits.headers);
      if (limits.blocking) throw deps.limiter.refusal(limits.blocking);
      if (limits.silentExceeded) {
        const policies = limits.outcomes
          .filter((o) => o.policy.silent && o.exceeded)
          .map((o) => ({ name: o.policy.name, quota: o.policy.quota, resetAt: o.resetAt.toISOString() }));
        await audit('sign_in_mail_suppressed', { visitorId: visitor?.id ?? null, detail: { reason: 'per-email limit', policies } });
        return null;
      }
      // Back to where their last link was going (an expired link's page), else the storefront's home.
      const newest = await findNewestLinkForEmail(deps.db, tenant.id, action.email);
      const { visitorId } = await requestMagicLink(
        { db: deps.db, keys: deps.keys, clock: deps.clock, outbox: deps.outbox, sessionTtlSeconds: deps.config.sessionTtlSeconds },
        {
          tenant,
          email: action.email,
          returnTo: newest?.return_to ?? `${tenant.origins[0]}/`,
          linkOrigin: tenant.origins[0]!,
          requestId: context.requestId,
          actor: operatorActor(operatorId),
        },
      );
      context.facts.visitorId = visitorId;
      return null;
    }
    case 'revoke-session': {
      const revoked = await revokeSession(deps.db, action.sessionId, now);
      // The cache is keyed by token, which the console never sees: forget the whole visitor here.
      if (visitor) forgetVisitorAtTheEdge(visitor.id);
      await audit('session_revoked', {
        visitorId: visitor?.id ?? null,
        sessionId: action.sessionId,
        detail: { reason: 'revoked by support', revoked },
      });
      return null;
    }
    case 'revoke-all': {
      const count = visitor ? await revokeVisitorSessions(deps.db, visitor.id, now) : 0;
      if (visitor) forgetVisitorAtTheEdge(visitor.id);
      await audit('sessions_revoked_all', { visitorId: visitor?.id ?? null, detail: { reason: 'revoked by support', count } });
      return null;
    }
    case 'grant-add': {
      const { grant, created } = await upsertGrant(deps.db, tenant.id, action.grant, now);
      await audit('grant_set', {
        visitorId: visitor?.id ?? null,
        detail: { email: grant.email, resource: grant.resource, kind: grant.kind, expiresAt: grant.expiresAt, created },
      });
      return null;
    }
    case 'grant-remove': {
      const removed = await deleteGrant(deps.db, tenant.id, action.email, action.resource);
      await audit('grant_removed', { visitorId: visitor?.id ?? null, detail: { email: action.email, resource: action.resource, removed } });
      return null;
    }
    case 'revoke-order': {
      // Audited inside, as this operator, under this request's id.
      await revokeOrder(deps, {
        tenantId: tenant.id,
        orderId: action.orderId,
        actor: operatorActor(operatorId),
        requestId: context.requestId,
      });
      return null;
    }
    case 'passkey-remove': {
      // Audited inside (with the removal, as this operator); an already removed one is audited here.
      const removed =
        visitor !== undefined &&
        (await removePasskey(deps.db, {
          visitorId: visitor.id,
          passkeyId: action.passkeyId,
          actor: operatorActor(operatorId),
          requestId: context.requestId,
          sessionId: null,
          now,
        }));
      if (!removed)
        await audit('passkey_removed', { visitorId: visitor?.id ?? null, detail: { passkeyId: action.passkeyId, removed: false } });
      return null;
    }
    case 'visitors-merge': {
      // Audited inside (visitors_merged, as this operator, on the surviving shopper).
      const merged = await mergeShoppers(deps, {
        tenantId: tenant.id,
        email: action.email,
        other: action.other,
        actor: operatorActor(operatorId),
        requestId: context.requestId,
      });
      if (!merged)
        throw new AppError('not_found', { detail: 'Both addresses must be shoppers of this storefront, and not already the same one.' });
      return null;
    }
    case 'report-handled': {
      const handled = await markReportHandled(deps.db, action.reportId, { at: now, by: operatorActor(operatorId), note: action.note });
      // The note as stored (redacted), so the audit trail says what the report says.
      const note = handled && handled.note !== null ? { note: handled.note } : {};
      await audit('report_handled', { detail: { reportId: action.reportId, alreadyHandled: !handled, ...note } });
      return null;
    }
    case 'webhook-remove': {
      const endpoint = await tenantEndpoint(deps.db, tenant.id, action.endpointId);
      const removed = await removeEndpoint(deps.db, tenant.id, action.endpointId);
      await audit('webhook_endpoint_removed', { detail: { endpointId: action.endpointId, url: endpoint?.url ?? null, removed } });
      return null;
    }
    case 'webhook-rotate': {
      const rotated = await rotateSecret(deps, tenant.id, action.endpointId, now);
      if (!rotated) throw new AppError('not_found', { detail: 'No webhook endpoint has this id.' });
      await audit('webhook_secret_rotated', {
        detail: { endpointId: action.endpointId, previousSecretExpiresAt: rotated.previousSecretExpiresAt },
      });
      return {
        rotatedSecret: { endpointId: rotated.id, secret: rotated.secret, previousSecretExpiresAt: rotated.previousSecretExpiresAt },
      };
    }
    case 'webhook-resend': {
      const resent = await resendDelivery(deps.db, action.deliveryId, now);
      await audit('webhook_delivery_resent', { detail: { deliveryId: action.deliveryId, resent } });
      return null;
    }
  }
}
