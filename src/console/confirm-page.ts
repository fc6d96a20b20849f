// The confirmation step of every console action: what will happen, to whom, at which storefront —
// one button that posts the action (with the session's CSRF token), and a way back.
import { html, type Html } from '../http/html.ts';
import type { Action } from './actions.ts';
import { consolePage, hidden, shopperHref } from './layout.ts';
import type { ConsoleSession } from './session.ts';
import type { ConsoleTenant } from './tenant-queries.ts';

type Described = { title: string; body: Html; button: string; danger: boolean; fields: Record<string, string | null> };

function describe(action: Action, tenant: ConsoleTenant): Described {
  switch (action.name) {
    case 'resend':
      return {
        title: 'Re-send a sign-in link?',
        body: html`<p>A new sign-in link (with its 6-digit code) goes to <strong>${action.email}</strong> from ${tenant.name}. Links already sent stay valid until they expire.</p>
<p class="muted">The usual limits apply: past 5 mails in 15 minutes (20 a day) to this address, nothing is sent and you are told so.</p>`,
        button: 'Send the link',
        danger: false,
        fields: { email: action.email },
      };
    case 'revoke-session':
      return {
        title: 'Revoke this session?',
        body: html`<p>The session <code>${action.sessionId}</code> of <strong>${action.email}</strong> stops working: the shopper has to sign in again on that device. Gated pages stop opening within a few seconds.</p>`,
        button: 'Revoke the session',
        danger: true,
        fields: { email: action.email, session: action.sessionId },
      };
    case 'revoke-all':
      return {
        title: 'Revoke every session?',
        body: html`<p>Every active session of <strong>${action.email}</strong> at ${tenant.name} stops working, on every device.</p>`,
        button: 'Revoke all sessions',
        danger: true,
        fields: { email: action.email },
      };
    case 'grant-add':
      return {
        title: 'Add this grant?',
        body: html`<p><strong>${action.email}</strong> may see <code>${action.grant.resource}</code> at ${tenant.name} (${action.grant.kind}${action.grant.title ? `, “${action.grant.title}”` : ''}), ${action.grant.expiresAt ? html`until ${action.grant.expiresAt.toISOString()}` : 'with no expiry'}. An existing grant on the same resource is updated.</p>`,
        button: 'Add the grant',
        danger: false,
        fields: {
          email: action.email,
          resource: action.grant.resource,
          kind: action.grant.kind,
          title: action.grant.title,
          orderId: action.grant.orderId,
          expiresAt: action.grant.expiresAt?.toISOString() ?? null,
        },
      };
    case 'grant-remove':
      return {
        title: 'Remove this grant?',
        body: html`<p><strong>${action.email}</strong> will no longer see <code>${action.resource}</code> at ${tenant.name} (within a few seconds at the storefront's edge).</p>`,
        button: 'Remove the grant',
        danger: true,
        fields: { email: action.email, resource: action.resource },
      };
    case 'report-handled':
      return {
        title: 'Mark this report handled?',
        body: html`<p>The support report <code>${action.reportId}</code> moves out of the open list. It stays on record.</p>`,
        button: 'Mark handled',
        danger: false,
        fields: { report: action.reportId, email: action.email },
      };
  }
}

/** Where "Cancel" (and the action, once done) leads: the shopper's page, else the tenant's. */
export function backHref(tenant: ConsoleTenant, action: Action): string {
  return action.email ? shopperHref(tenant.handle, action.email) : `/console/tenants/${tenant.handle}`;
}

export function confirmActionPage(input: { session: ConsoleSession; requestId: string; tenant: ConsoleTenant; action: Action }): string {
  const { tenant, action, session } = input;
  const described = describe(action, tenant);
  return consolePage({
    title: described.title,
    requestId: input.requestId,
    session,
    nav: 'tenants',
    narrow: true,
    body: html`<section class="card narrow"><p class="muted" style="margin:0">${tenant.name} (${tenant.handle})</p>
<h1>${described.title}</h1>${described.body}
<form method="post" action="/console/tenants/${tenant.handle}/actions/${action.name}">${hidden({ ...described.fields, csrf: session.csrfToken })}
<div class="actions"><button type="submit"${described.danger ? html` class="danger"` : ''}>${described.button}</button>
<a class="btn secondary" href="${backHref(tenant, action)}">Cancel</a></div></form>
<p class="muted" style="margin:.75rem 0 0">Done as ${session.operator.email}; recorded in the audit trail.</p></section>`,
  });
}
