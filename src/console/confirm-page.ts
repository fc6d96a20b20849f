// The confirmation step of every console action: what will happen, to whom, at which storefront —
// one button that posts the action (with the session's CSRF token), and a way back.
import { html, readableTime, type Html } from '../http/html.ts';
import { NOTE_MAX_CHARS, type Action } from './actions.ts';
import { deviceName } from './device-names.ts';
import type { SessionFacts } from './device-queries.ts';
import { backHref } from './hrefs.ts';
import { consolePage, hidden } from './layout.ts';
import type { ConsoleSession } from './session.ts';
import type { ConsoleTenant } from './tenant-queries.ts';
import type { DeliveryRow, Endpoint } from '../webhooks/endpoints.ts';
import type { PasskeyRow } from '../passkeys/passkeys.ts';

type Described = {
  title: string;
  body: Html;
  button: string;
  danger: boolean;
  fields: Record<string, string | null>;
  /** Form controls the operator fills in on the confirmation (the handled note). */
  controls?: Html;
};

/**
 * What a confirmation shows of what it acts on: the sessions a revoke ends (device, place, time),
 * the webhook endpoint or delivery of a webhook action.
 */
export type ConfirmFacts = {
  now: Date;
  sessions: SessionFacts[];
  endpoint?: Endpoint | null;
  delivery?: DeliveryRow | null;
  /** The passkey a removal names (its host and when it was made and last used). */
  passkey?: PasskeyRow | null;
};

/** "Safari on iPhone, signed in from 203.0.113.7 today at 14:05 UTC (12 minutes ago)". */
function sessionWords(session: SessionFacts, now: Date): Html {
  return html`${deviceName(session.user_agent)}, signed in${session.ip ? ` from ${session.ip}` : ''} ${readableTime(new Date(session.created_at), now)}`;
}

function describe(action: Action, tenant: ConsoleTenant, facts: ConfirmFacts): Described {
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
    case 'revoke-session': {
      const session = facts.sessions[0];
      return {
        title: 'Revoke this session?',
        body: html`${session ? html`<p class="lead">Revoke the session on ${sessionWords(session, facts.now)}?</p>` : ''}
<p>The session <code>${action.sessionId}</code> of <strong>${action.email}</strong> stops working: the shopper has to sign in again on that device. Gated pages stop opening within a few seconds.</p>`,
        button: 'Revoke the session',
        danger: true,
        fields: { email: action.email, session: action.sessionId },
      };
    }
    case 'revoke-all': {
      const { sessions } = facts;
      const list = sessions.length
        ? html`<p class="lead">Revoke ${sessions.length === 1 ? 'the session' : `all ${sessions.length} sessions`} of <strong>${action.email}</strong>:</p>
<ul>${sessions.map((s) => html`<li>on ${sessionWords(s, facts.now)}</li>`)}</ul>`
        : html`<p class="lead"><strong>${action.email}</strong> has no active session now: nothing to revoke.</p>`;
      return {
        title: 'Revoke every session?',
        body: html`${list}<p>Every active session of <strong>${action.email}</strong> at ${tenant.name} stops working, on every device.</p>`,
        button: 'Revoke all sessions',
        danger: true,
        fields: { email: action.email },
      };
    }
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
    case 'revoke-order':
      return {
        title: 'Revoke this order?',
        body: html`<p>For a refund or a chargeback of order <code>${action.orderId}</code> at ${tenant.name}: every grant carrying that order id ends, every session opened from its checkout links ends, and its unused checkout links stop working (within a few seconds at the storefront's edge).</p>
<p class="muted">The sessions <strong>${action.email}</strong> signed in to with their email stay; they lose only this order's pages.</p>`,
        button: 'Revoke the order',
        danger: true,
        fields: { email: action.email, orderId: action.orderId },
      };
    case 'report-handled':
      return {
        title: 'Mark this report handled?',
        body: html`<p>The support report <code>${action.reportId}</code> moves out of the open list. It stays on record, with your note, your name and the time.</p>`,
        button: 'Mark handled',
        danger: false,
        fields: { report: action.reportId, email: action.email },
        controls: html`<div class="field"><label for="handled-note">What was done (optional, shown on the report)</label>
<textarea id="handled-note" name="note" rows="4" maxlength="${String(NOTE_MAX_CHARS)}" placeholder="Re-sent the link; the shopper signed in.">${action.note ?? ''}</textarea></div>`,
      };
    case 'webhook-remove':
      return {
        title: 'Remove this webhook endpoint?',
        body: html`<p class="lead">${tenant.name} stops receiving events at <code>${facts.endpoint?.url ?? action.endpointId}</code>.</p>
<p>Its events not yet delivered (dead ones included) are removed with it. To receive events again, add the endpoint again: it gets a new signing secret.</p>`,
        button: 'Remove the endpoint',
        danger: true,
        fields: { endpoint: action.endpointId },
      };
    case 'webhook-rotate':
      return {
        title: 'Rotate the signing secret?',
        body: html`<p class="lead">A new signing secret for <code>${facts.endpoint?.url ?? action.endpointId}</code>, shown once on the next page.</p>
<p>The current secret keeps signing for 24 hours beside the new one (two signatures per delivery), so ${tenant.name} can switch its receiver to the new secret meanwhile.</p>`,
        button: 'Rotate the secret',
        danger: false,
        fields: { endpoint: action.endpointId },
      };
    case 'webhook-resend': {
      const delivery = facts.delivery;
      return {
        title: 'Re-send this webhook?',
        body: html`<p class="lead">The event ${delivery ? html`<code>${delivery.type}</code>` : ''} goes to ${delivery ? html`<code>${delivery.url}</code>` : 'its endpoint'} again, within seconds.</p>
<p>Same <code>webhook-id</code> (<code>${action.deliveryId}</code>), so a receiver that already has it can tell; retried for another 24 hours if it fails again.</p>`,
        button: 'Re-send',
        danger: false,
        fields: { delivery: action.deliveryId },
      };
    }
    case 'visitors-merge':
      return {
        title: 'Merge these two shoppers?',
        body: html`<p class="lead">Merge <strong>${action.other}</strong> into <strong>${action.email}</strong> at ${tenant.name}?</p>
<p>They become one shopper, known by <strong>${action.email}</strong>; <strong>${action.other}</strong> stays one of its confirmed addresses. Its sessions (still signed in), passkeys, sign-in links, checkout links and reports move over, and the purchases of both addresses open for both. This cannot be undone from the console. Do it only when you are sure both addresses are the same person’s (they wrote to you from both).</p>`,
        button: 'Merge the shoppers',
        danger: true,
        fields: { email: action.email, other: action.other },
      };
    case 'passkey-remove': {
      const passkey = facts.passkey;
      const made = passkey
        ? html`<p class="lead">Remove the passkey of <strong>${action.email}</strong> for <code>${passkey.rp_id}</code>, created ${readableTime(passkey.created_at, facts.now)}, ${passkey.last_used_at ? html`last used ${readableTime(passkey.last_used_at, facts.now)}` : 'never used'}?</p>`
        : '';
      return {
        title: 'Remove this passkey?',
        body: html`${made}<p>The passkey <code>${action.passkeyId}</code> stops signing in at once, on every device it is synced to. The shopper signs in by email again, and can create a new passkey after that. Their sessions stay; revoke them too if the passkey was not theirs.</p>`,
        button: 'Remove the passkey',
        danger: true,
        fields: { email: action.email, passkey: action.passkeyId },
      };
    }
  }
}

export function confirmActionPage(input: {
  session: ConsoleSession;
  requestId: string;
  tenant: ConsoleTenant;
  action: Action;
  facts: ConfirmFacts;
}): string {
  const { tenant, action, session } = input;
  const described = describe(action, tenant, input.facts);
  return consolePage({
    title: described.title,
    requestId: input.requestId,
    session,
    nav: 'tenants',
    narrow: true,
    body: html`<section class="card narrow"><p class="muted" style="margin:0">${tenant.name} (${tenant.handle})</p>
<h1>${described.title}</h1>${described.body}
<form method="post" action="/console/tenants/${tenant.handle}/actions/${action.name}">${hidden({ ...described.fields, csrf: session.csrfToken })}
${described.controls ?? ''}<div class="actions"><button type="submit"${described.danger ? html` class="danger"` : ''}>${described.button}</button>
<a class="btn secondary" href="${backHref(tenant, action)}">Cancel</a></div></form>
<p class="muted" style="margin:.75rem 0 0">Done as ${session.operator.email}; recorded in the audit trail.</p></section>`,
  });
}
