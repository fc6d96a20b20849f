// A storefront's webhooks in the console: its endpoints (events, how deliveries go), the form that
// adds one (admins), the dead deliveries with a confirmed "Re-send", and the page that shows a new
// signing secret — the only place it is ever shown.
import { html, type Html } from '../http/html.ts';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/events.ts';
import type { DeliveryRow, EndpointWithHealth } from '../webhooks/endpoints.ts';
import { confirmHref } from './confirm-links.ts';
import { webhooksHref } from './hrefs.ts';
import { badge, consolePage, hidden, requestLink, when, type Tone } from './layout.ts';
import { ALL_EVENTS_FIELD, eventField } from './route-schemas.ts';
import type { ConsoleSession } from './session.ts';
import { flashBox, type Flash } from './tenant-pages.ts';
import type { ConsoleTenant } from './tenant-queries.ts';

/** What each event type means, in the words of docs/api.md's table. */
const EVENT_WORDS: Record<(typeof WEBHOOK_EVENT_TYPES)[number], string> = {
  'magic_link.sent': 'a sign-in mail was accepted by SMTP',
  'magic_link.opened_without_confirm': 'a link was opened but not confirmed within a minute (often a mail scanner)',
  'magic_link.replayed': 'a used link was opened by another browser',
  'visitor.signed_in': 'a link or code signed a shopper in',
  'session.revoked': 'a session was ended',
  'grant.changed': 'a grant was created, changed or deleted',
  'visitor.deleted': 'a shopper was erased (on their request or the storefront’s)',
};

/** The add form as typed (kept after a refusal) and what was refused, by field. */
export type WebhookForm = {
  values: { url: string; description: string; includeEmail: boolean; events: string[] };
  errors: Partial<Record<'url' | 'events' | 'description', string>>;
};

export const EMPTY_WEBHOOK_FORM: WebhookForm = { values: { url: '', description: '', includeEmail: false, events: [] }, errors: {} };

function lastDelivery(endpoint: EndpointWithHealth, now: Date): Html {
  const last = endpoint.lastDelivery;
  if (!last) return html`<span class="muted">none yet</span>`;
  const tone: Tone = last.status === 'delivered' ? 'green' : last.status === 'dead' ? 'red' : last.error ? 'amber' : 'blue';
  const label = last.status === 'pending' && last.error ? 'retrying' : last.status;
  const outcome = last.error ?? (last.httpStatus === null ? null : `HTTP ${last.httpStatus}`);
  return html`${badge(label, tone)} ${when(last.at, now)}${outcome ? html` · <code>${outcome}</code>` : ''}`;
}

function endpointItem(endpoint: EndpointWithHealth, handle: string, csrfToken: string, now: Date, isAdmin: boolean): Html {
  const events = endpoint.events.includes('*')
    ? html`every event (<code>*</code>)`
    : html`${endpoint.events.map((e, i) => html`${i ? ', ' : ''}<code>${e}</code>`)}`;
  return html`<li class="item" data-endpoint="${endpoint.id}"><div class="item-head">${endpoint.failing ? badge(`${endpoint.failing} failing`, 'red') : badge('ok', 'green')}<strong>${endpoint.url}</strong></div>
<dl class="kv">${endpoint.description ? html`<dt>Description</dt><dd>${endpoint.description}</dd>` : ''}
<dt>Events</dt><dd>${events}</dd>
<dt>Email</dt><dd>${endpoint.includeEmail ? 'included in events' : 'not included'}</dd>
<dt>Added</dt><dd>${when(endpoint.createdAt, now)}</dd>
<dt>Last delivery</dt><dd>${lastDelivery(endpoint, now)}</dd>
<dt>Failing</dt><dd>${endpoint.failing ? `${endpoint.failing} (dead, or retrying after a failed attempt)` : 'none'}</dd>
<dt>Endpoint id</dt><dd><code>${endpoint.id}</code></dd></dl>
${
  isAdmin
    ? html`<div class="actions"><a class="btn sm secondary" href="${confirmHref(csrfToken, handle, { action: 'webhook-rotate', endpoint: endpoint.id })}">Rotate secret…</a>
<a class="btn sm danger-quiet" href="${confirmHref(csrfToken, handle, { action: 'webhook-remove', endpoint: endpoint.id })}">Remove…</a></div>`
    : ''
}</li>`;
}

function deadItem(delivery: DeliveryRow, handle: string, csrfToken: string, now: Date, isAdmin: boolean): Html {
  return html`<li class="item" data-delivery="${delivery.id}"><div class="item-head">${badge('dead', 'red')}<strong><code>${delivery.type}</code></strong></div>
<dl class="kv"><dt>To</dt><dd>${delivery.url}</dd>
<dt>Event at</dt><dd>${when(delivery.created_at, now)}</dd>
<dt>Dead since</dt><dd>${when(delivery.dead_at, now)}</dd>
<dt>Attempts</dt><dd>${delivery.attempts}</dd>
<dt>Last error</dt><dd>${delivery.last_error ? html`<code>${delivery.last_error}</code>` : delivery.last_status === null ? html`<span class="muted">—</span>` : html`<code>HTTP ${delivery.last_status}</code>`}</dd>
<dt>Request</dt><dd>${requestLink(delivery.request_id)}</dd>
<dt>webhook-id</dt><dd><code>${delivery.id}</code></dd></dl>
${isAdmin ? html`<div class="actions"><a class="btn sm secondary" href="${confirmHref(csrfToken, handle, { action: 'webhook-resend', delivery: delivery.id })}">Re-send…</a></div>` : ''}</li>`;
}

function fieldError(id: string, name: string, error: string | undefined): Html | '' {
  return error
    ? html`<p class="field-error" id="${id}-error" data-field-error="${name}" style="color:#a1170f;font-weight:600;margin:.25rem 0 0">${error}</p>`
    : '';
}

function addForm(tenant: ConsoleTenant, session: ConsoleSession, form: WebhookForm): Html {
  const { values, errors } = form;
  const all = values.events.includes('*');
  const invalid = (name: keyof WebhookForm['errors']) =>
    errors[name] ? html` aria-invalid="true" aria-describedby="webhook-${name}-error"` : '';
  return html`<form method="post" action="${webhooksHref(tenant.handle)}" novalidate>${hidden({ csrf: session.csrfToken })}
<div class="field"><label for="webhook-url">URL</label>
<input id="webhook-url" name="url" type="url" required value="${values.url}" placeholder="https://shop.example/hooks/visitor-access" autocomplete="off" spellcheck="false"${invalid('url')}>
${fieldError('webhook-url', 'url', errors.url)}<p class="muted" style="margin:.25rem 0 0;font-size:.8125rem">https, on a public address (in development and test also http://localhost or http://127.0.0.1). Private, loopback and metadata addresses are refused, as by the API.</p></div>
<fieldset class="field checks"${invalid('events')}><legend>Events</legend>
<label class="check"><input type="checkbox" name="${ALL_EVENTS_FIELD}" value="on"${all ? html` checked` : ''}> Every event (<code>*</code>), also those added later</label>
${WEBHOOK_EVENT_TYPES.map(
  (type) =>
    html`<label class="check"><input type="checkbox" name="${eventField(type)}" value="on"${!all && values.events.includes(type) ? html` checked` : ''}> <span><code>${type}</code> <span class="muted">${EVENT_WORDS[type]}</span></span></label>`,
)}
${fieldError('webhook-events', 'events', errors.events)}</fieldset>
<div class="field"><label for="webhook-description">Description (optional)</label>
<input id="webhook-description" name="description" maxlength="200" value="${values.description}" autocomplete="off"${invalid('description')}>
${fieldError('webhook-description', 'description', errors.description)}</div>
<label class="check field"><input type="checkbox" name="includeEmail" value="yes"${values.includeEmail ? html` checked` : ''}> Include the shopper’s email in events (otherwise ids only)</label>
<div class="actions"><button type="submit">Add endpoint</button></div></form>
<p class="muted" style="margin:.75rem 0 0">The signing secret is shown once, on the next page. Added as ${session.operator.email}; recorded in the audit trail.</p>`;
}

export function webhooksPage(input: {
  session: ConsoleSession;
  requestId: string;
  now: Date;
  tenant: ConsoleTenant;
  endpoints: EndpointWithHealth[];
  dead: DeliveryRow[];
  isAdmin: boolean;
  form: WebhookForm;
  flash: Flash;
}): string {
  const { tenant, session, now, isAdmin, form } = input;
  const refused = Object.keys(form.errors).length;
  return consolePage({
    title: `Webhooks · ${tenant.name}`,
    requestId: input.requestId,
    session,
    nav: 'tenants',
    body: html`${flashBox(input.flash)}<p class="muted" style="margin:0"><a href="/console/">Storefronts</a> / <a href="/console/tenants/${tenant.handle}">${tenant.name}</a> /</p>
<h1>Webhooks</h1><p class="sub">Where ${tenant.name}’s back end is told what happened (signed, Standard Webhooks), and how delivery is going.${isAdmin ? '' : ' Only admins add, remove or change endpoints.'}</p>
${refused ? html`<div class="flash warn" role="alert"><p><strong>The endpoint was not added: ${refused === 1 ? 'one field needs' : `${refused} fields need`} a change.</strong></p></div>` : ''}
<div class="cols">
<section class="card"><h2>Endpoints <span class="count">${input.endpoints.length}</span></h2>${
      input.endpoints.length
        ? html`<ul class="items">${input.endpoints.map((e) => endpointItem(e, tenant.handle, session.csrfToken, now, isAdmin))}</ul>`
        : html`<p class="empty">No webhook endpoints.</p>`
    }</section>
<section class="card"><h2>Dead deliveries <span class="count">${input.dead.length}</span></h2>
<p class="muted">Retried for 24 hours (the first retry within 10 s, then backoff) and then given up.</p>${
      input.dead.length
        ? html`<ul class="items">${input.dead.map((d) => deadItem(d, tenant.handle, session.csrfToken, now, isAdmin))}</ul>`
        : html`<p class="empty">None.</p>`
    }</section>
</div>
${isAdmin ? html`<section class="card"><h2>Add an endpoint</h2>${addForm(tenant, session, form)}</section>` : ''}`,
  });
}

/** A new signing secret, once: after adding an endpoint or rotating its secret. */
export function secretPage(input: {
  session: ConsoleSession;
  requestId: string;
  tenant: ConsoleTenant;
  kind: 'added' | 'rotated';
  endpointId: string;
  url?: string;
  secret: string;
  previousSecretExpiresAt?: string;
}): string {
  const { tenant } = input;
  const title = input.kind === 'added' ? 'Endpoint added' : 'Signing secret rotated';
  return consolePage({
    title,
    requestId: input.requestId,
    session: input.session,
    nav: 'tenants',
    narrow: true,
    body: html`<section class="card narrow"><p class="muted" style="margin:0">${tenant.name} (${tenant.handle})</p>
<h1>${title}</h1>
${input.url ? html`<p>Events go to <code>${input.url}</code>.</p>` : ''}
<div class="field"><label for="webhook-secret">Signing secret</label>
<textarea id="webhook-secret" readonly rows="2" autocomplete="off" spellcheck="false" data-secret aria-describedby="webhook-secret-hint" style="min-height:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace">${input.secret}</textarea></div>
<p id="webhook-secret-hint" class="lead"><strong>Copy it now: it is shown only this once.</strong> Click the field, select all (Ctrl+A or ⌘A) and copy (Ctrl+C or ⌘C), then give it to ${tenant.name}’s developers to verify signatures. It is stored encrypted and cannot be shown again; if it is lost, rotate it.</p>
${input.previousSecretExpiresAt ? html`<p>The previous secret also signs until <time datetime="${input.previousSecretExpiresAt}">${input.previousSecretExpiresAt.replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC')}</time>, so the receiver can switch meanwhile.</p>` : ''}
<div class="actions"><a class="btn" href="${webhooksHref(tenant.handle)}?ref=${encodeURIComponent(input.requestId)}">Done, back to webhooks</a></div>
<p class="muted" style="margin:.75rem 0 0">Endpoint <code>${input.endpointId}</code>. Done as ${input.session.operator.email}; recorded in the audit trail.</p></section>`,
  });
}
