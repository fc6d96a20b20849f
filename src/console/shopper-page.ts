// One shopper at one storefront: their sign-in links (queued / sent / failed / expired / used, with
// times and request ids), pending sign-ins (a browser waiting for approval from another device),
// checkout links (handoffs), sessions (full or one order's), grants, security events and support
// reports — and the actions
// an operator can take, each behind a confirmation page.
import type { Grant } from '../access/grants.ts';
import { html, type Html } from '../http/html.ts';
import { confirmHref } from './confirm-links.ts';
import { deviceHtml } from './device-names.ts';
import { replayedLinkId, type FirstUse } from './device-queries.ts';
import { firstUseFacts } from './replay-view.ts';
import { shopperHref } from './hrefs.ts';
import { badge, consolePage, hidden, requestLink, when, type Tone } from './layout.ts';
import type { ConsoleSession } from './session.ts';
import type { SecurityEventRow } from '../audit/security-events.ts';
import type { HandoffRow } from '../handoffs/handoffs.ts';
import type { LinkViewRow } from '../magic-link/magic-link.ts';
import type { PendingViewRow } from '../magic-link/pending.ts';
import type { SessionViewRow } from '../sessions/sessions.ts';
import type { PasskeyRow } from '../passkeys/passkeys.ts';
import type { AddressItem } from '../visitors/addresses.ts';
import type { VisitorRow } from '../visitors/visitors.ts';
import { flashBox, reportList, type Flash } from './tenant-pages.ts';
import type { ConsoleTenant, ReportRow } from './tenant-queries.ts';

export type ShopperView = {
  session: ConsoleSession;
  requestId: string;
  now: Date;
  tenant: ConsoleTenant;
  email: string;
  visitor: VisitorRow | null;
  links: LinkViewRow[];
  pendings: PendingViewRow[];
  sessions: SessionViewRow[];
  grants: Grant[];
  handoffs: HandoffRow[];
  /** The shopper's passkeys, removed ones too. */
  passkeys: PasskeyRow[];
  /** The shopper's addresses: the primary and the further ones (verified or not). */
  addresses: AddressItem[];
  events: SecurityEventRow[];
  reports: ReportRow[];
  canEditGrants: boolean;
  /** operator id → email, for "requested by". */
  operators: Map<string, string>;
  /** For each replayed link (security events), its first use. */
  firstUses: Map<string, FirstUse>;
  flash: Flash;
};

function linkState(link: LinkViewRow, now: Date): { label: string; tone: Tone } {
  if (link.used_at) return { label: 'used', tone: 'green' };
  if (link.mail_status === 'failed') return { label: 'failed', tone: 'red' };
  if (link.mail_status === 'pending' || link.mail_status === 'sending') return { label: 'queued', tone: 'amber' };
  if (link.expires_at && new Date(link.expires_at) <= now) return { label: 'expired', tone: 'gray' };
  return { label: 'sent', tone: 'blue' };
}

function sessionState(session: SessionViewRow, now: Date): { label: string; tone: Tone } {
  if (session.revoked_at) return { label: 'revoked', tone: 'gray' };
  if (new Date(session.expires_at) <= now) return { label: 'expired', tone: 'gray' };
  return { label: 'active', tone: 'green' };
}

const EVENT_LABELS: Record<string, string> = {
  used_link_replayed: 'A used link was opened again (replay)',
  code_burned: 'Code burned after 5 wrong tries',
  sign_in_mail_limit_reached: 'Sign-in mail limit reached',
  number_mismatch: 'A wrong number was picked for a waiting sign-in',
};

function requester(actor: string | null, operators: Map<string, string>): string {
  if (!actor || actor === 'visitor') return 'the shopper';
  if (actor.startsWith('operator:')) return `operator ${operators.get(actor.slice(9)) ?? actor.slice(9)}`;
  return actor;
}

function linkItem(link: LinkViewRow, view: ShopperView): Html {
  const { now } = view;
  const state = linkState(link, now);
  const mailFacts =
    state.label === 'queued'
      ? html`<dt>Mail</dt><dd>${link.mail_attempts ? `attempt ${link.mail_attempts} failed, next try ` : 'sending '}${when(link.mail_next_attempt_at, now)}${link.mail_last_error ? html` · <code>${link.mail_last_error}</code>` : ''}</dd>`
      : state.label === 'failed'
        ? html`<dt>Mail failed</dt><dd>${when(link.mail_failed_at, now)} after ${link.mail_attempts ?? 0} attempts${link.mail_last_error ? html` · <code>${link.mail_last_error}</code>` : ''}</dd>`
        : html`<dt>Mail sent</dt><dd>${when(link.sent_at, now)}</dd>`;
  const validity = link.used_at
    ? html`<dt>Used</dt><dd>${when(link.used_at, now)}</dd>`
    : link.expires_at
      ? html`<dt>${state.label === 'expired' ? 'Expired' : 'Valid until'}</dt><dd>${when(link.expires_at, now)}</dd>`
      : html`<dt>Valid</dt><dd class="muted">from when the mail is sent</dd>`;
  return html`<li class="item"><div class="item-head">${badge(state.label, state.tone)}<strong>Requested ${when(link.created_at, now)}</strong></div>
<dl class="kv"><dt>Requested by</dt><dd>${requester(link.requested_by, view.operators)}</dd>
<dt>Request</dt><dd>${requestLink(link.request_id)}</dd>
${mailFacts}${validity}
${link.code_burned_at ? html`<dt>Code</dt><dd>${badge('burned', 'red')} after ${link.code_attempts} wrong tries, ${when(link.code_burned_at, now)}</dd>` : link.code_attempts ? html`<dt>Wrong codes</dt><dd>${link.code_attempts}</dd>` : ''}
<dt>Returns to</dt><dd><code>${link.return_to}</code></dd></dl></li>`;
}

function pendingState(p: PendingViewRow, now: Date): { label: string; tone: Tone } {
  if (p.status === 'signed_in') return { label: 'signed in', tone: 'green' };
  if (p.status === 'rejected') return { label: 'wrong number', tone: 'red' };
  if (p.status === 'approved') return { label: 'approved', tone: 'blue' };
  if (p.status === 'superseded') return { label: 'asked again', tone: 'gray' };
  const endsAt = p.link_expires_at ?? p.expires_at;
  if (p.link_used_at || new Date(endsAt) <= now) return { label: 'ended', tone: 'gray' };
  return { label: 'waiting', tone: 'amber' };
}

/** A browser that asked for a link and waits for another device to pick its number. */
function pendingItem(p: PendingViewRow, view: ShopperView): Html {
  const { now } = view;
  const state = pendingState(p, now);
  const decided = p.decided_at
    ? html`<dt>${p.status === 'rejected' ? 'Wrong number picked' : 'Approved from'}</dt><dd>${deviceHtml(p.decided_user_agent)} · ${p.decided_ip ?? '—'} · ${when(p.decided_at, now)} · ${requestLink(p.decided_request_id)}</dd>`
    : '';
  const sessionHref = p.session_id && p.signed_in_at ? `${shopperHref(view.tenant.handle, view.email)}#session-${p.session_id}` : null;
  return html`<li class="item"><div class="item-head">${badge(state.label, state.tone)}<strong>Waiting screen ${when(p.created_at, now)}</strong></div>
<dl class="kv"><dt>Browser that asked</dt><dd>${deviceHtml(p.user_agent)} · ${p.ip ?? '—'}</dd>
<dt>Request</dt><dd>${requestLink(p.request_id)}</dd>
<dt>Number shown</dt><dd>${String(p.number)}</dd>
${p.link_id ? '' : html`<dt>Mail</dt><dd class="muted">none sent (mail limit): it could only expire</dd>`}
${decided}
${sessionHref ? html`<dt>Signed in</dt><dd><a href="${sessionHref}">that session</a> · ${when(p.signed_in_at, now)} · ${requestLink(p.signed_in_request_id)}</dd>` : ''}</dl></li>`;
}

function sessionItem(session: SessionViewRow, view: ShopperView): Html {
  const { now } = view;
  const state = sessionState(session, now);
  const scope =
    session.scope === 'order'
      ? html`<dt>Scope</dt><dd>${badge('one order', 'amber')} order <code>${session.order_id}</code>, from a checkout link: sees that order only until the shopper signs in with their email</dd>`
      : '';
  return html`<li class="item" id="session-${session.id}"><div class="item-head">${badge(state.label, state.tone)}<strong>${session.scope === 'order' ? 'Opened from a checkout link' : 'Signed in'} ${when(session.created_at, now)}</strong></div>
<dl class="kv">${scope}<dt>Last seen</dt><dd>${when(session.last_seen_at, now)}</dd>
${session.revoked_at ? html`<dt>Revoked</dt><dd>${when(session.revoked_at, now)}</dd>` : html`<dt>Expires</dt><dd>${when(session.expires_at, now)}</dd>`}
<dt>Browser</dt><dd>${deviceHtml(session.user_agent)}</dd>
<dt>IP</dt><dd>${session.ip ?? '—'}</dd>
<dt>Session id</dt><dd><code>${session.id}</code></dd></dl>
${state.label === 'active' ? html`<div class="actions"><a class="btn sm secondary" href="${confirmHref(view.session.csrfToken, view.tenant.handle, { action: 'revoke-session', email: view.email, session: session.id })}">Revoke this session…</a></div>` : ''}</li>`;
}

function grantItem(grant: Grant, view: ShopperView): Html {
  const live = !grant.expiresAt || new Date(grant.expiresAt) > view.now;
  return html`<li class="item"><div class="item-head">${live ? badge('live', 'green') : badge('expired', 'gray')}<code>${grant.resource}</code></div>
<dl class="kv">${grant.email === view.email ? '' : html`<dt>Address</dt><dd>${grant.email}</dd>`}<dt>Kind</dt><dd>${grant.kind}${grant.title ? ` · ${grant.title}` : ''}${grant.orderId ? ` · order ${grant.orderId}` : ''}</dd>
<dt>Granted</dt><dd>${when(grant.grantedAt, view.now)}</dd>
<dt>Expires</dt><dd>${grant.expiresAt ? when(grant.expiresAt, view.now) : 'never'}</dd></dl>
${view.canEditGrants ? html`<div class="actions"><a class="btn sm secondary" href="${confirmHref(view.session.csrfToken, view.tenant.handle, { action: 'grant-remove', email: grant.email, resource: grant.resource })}">Remove grant…</a>${live && grant.orderId ? html`<a class="btn sm danger-quiet" href="${confirmHref(view.session.csrfToken, view.tenant.handle, { action: 'revoke-order', email: view.email, orderId: grant.orderId })}">Revoke order ${grant.orderId} (refund)…</a>` : ''}</div>` : ''}</li>`;
}

function handoffState(handoff: HandoffRow, now: Date): { label: string; tone: Tone } {
  if (handoff.used_at) return { label: 'used', tone: 'green' };
  if (handoff.revoked_at) return { label: 'revoked', tone: 'gray' };
  if (new Date(handoff.expires_at) <= now) return { label: 'expired', tone: 'gray' };
  return { label: 'unused', tone: 'blue' };
}

function handoffItem(handoff: HandoffRow, view: ShopperView): Html {
  const { now } = view;
  const state = handoffState(handoff, now);
  const session = handoff.used_by_session_id
    ? html`<dt>Session</dt><dd><a href="${shopperHref(view.tenant.handle, view.email)}#session-${handoff.used_by_session_id}"><code>${handoff.used_by_session_id}</code></a></dd>`
    : '';
  return html`<li class="item"><div class="item-head">${badge(state.label, state.tone)}<strong>Order <code>${handoff.order_id}</code>, created ${when(handoff.created_at, now)}</strong></div>
<dl class="kv">${handoff.used_at ? html`<dt>Opened</dt><dd>${when(handoff.used_at, now)}</dd>` : html`<dt>${state.label === 'expired' ? 'Expired' : 'Valid until'}</dt><dd>${when(handoff.expires_at, now)}</dd>`}
${handoff.revoked_at ? html`<dt>Revoked</dt><dd>${when(handoff.revoked_at, now)} (the order was revoked)</dd>` : ''}${session}
<dt>Returns to</dt><dd><code>${handoff.return_to}</code></dd></dl></li>`;
}

function grantForm(view: ShopperView): Html {
  if (!view.canEditGrants) {
    return html`<p class="muted">Only admins change grants at this storefront (support operators may when the storefront allows it).</p>`;
  }
  // Typed values: posted to the confirmation (Origin + CSRF checked), never a GET link with values.
  return html`<form method="post" action="/console/tenants/${view.tenant.handle}/confirm" class="form-row grant">
<input type="hidden" name="action" value="grant-add"><input type="hidden" name="email" value="${view.email}"><input type="hidden" name="csrf" value="${view.session.csrfToken}">
<div class="field"><label for="grant-resource">Resource</label><input id="grant-resource" name="resource" required placeholder="/content/course-1/*" spellcheck="false"></div>
<div class="field"><label for="grant-kind">Kind</label><select id="grant-kind" name="kind"><option value="content">content</option><option value="order">order</option></select></div>
<div class="field"><label for="grant-title">Title (optional)</label><input id="grant-title" name="title"></div>
<div class="field"><label for="grant-expires">Expires (optional, UTC)</label><input id="grant-expires" name="expiresAt" placeholder="2027-01-31T23:59:59Z" spellcheck="false"></div>
<div class="field"><button type="submit">Add grant…</button></div></form>`;
}

function eventItem(event: SecurityEventRow, view: ShopperView): Html {
  const { now } = view;
  const linkId = replayedLinkId(event);
  const first = linkId ? view.firstUses.get(linkId) : undefined;
  const sessionHref = first?.session_id ? `${shopperHref(view.tenant.handle, view.email)}#session-${first.session_id}` : null;
  return html`<li class="item"><div class="item-head">${badge(event.kind === 'sign_in_mail_limit_reached' ? 'limit' : 'security', event.kind === 'used_link_replayed' ? 'red' : 'amber')}<strong>${EVENT_LABELS[event.kind] ?? event.kind}</strong></div>
<dl class="kv"><dt>When</dt><dd>${when(event.created_at, now)}</dd>
<dt>Request</dt><dd>${requestLink(event.request_id)}</dd>
<dt>IP</dt><dd>${event.ip ?? '—'}</dd>
<dt>Browser</dt><dd>${deviceHtml(event.user_agent)}</dd>
${linkId ? firstUseFacts(first, { ip: event.ip, userAgent: event.user_agent }, sessionHref, now) : ''}</dl></li>`;
}

function passkeyItem(passkey: PasskeyRow, view: ShopperView): Html {
  const { now } = view;
  const state = passkey.removed_at ? badge('removed', 'gray') : badge('active', 'green');
  const removedBy =
    passkey.removed_by === 'visitor' ? 'the shopper' : passkey.removed_by?.startsWith('operator:') ? 'support' : passkey.removed_by;
  return html`<li data-passkey="${passkey.id}"><div>${state} <code>${passkey.rp_id}</code> · ${passkey.device_type === 'multiDevice' ? (passkey.backed_up ? 'synced' : 'multi-device, not backed up') : 'this device only'}</div>
<dl class="kv"><dt>Created</dt><dd>${when(passkey.created_at, now)}</dd>
<dt>Last used</dt><dd>${passkey.last_used_at ? when(passkey.last_used_at, now) : 'never'}</dd>
${passkey.removed_at ? html`<dt>Removed</dt><dd>${when(passkey.removed_at, now)} by ${removedBy ?? '—'}</dd>` : ''}</dl>
${passkey.removed_at ? '' : html`<div class="actions"><a class="btn sm secondary" href="${confirmHref(view.session.csrfToken, view.tenant.handle, { action: 'passkey-remove', email: view.email, passkey: passkey.id })}">Remove this passkey…</a></div>`}</li>`;
}

function addressItem(address: AddressItem, view: ShopperView): Html {
  const state = address.primary
    ? badge('primary', 'green')
    : address.verified
      ? badge('confirmed', 'green')
      : badge('not confirmed', 'gray');
  return html`<li data-address="${address.email}"><div>${state} <strong>${address.email}</strong></div>
<dl class="kv"><dt>Added</dt><dd>${when(new Date(address.addedAt), view.now)}</dd>
${address.verifiedAt && !address.primary ? html`<dt>Confirmed</dt><dd>${when(new Date(address.verifiedAt), view.now)}</dd>` : ''}</dl></li>`;
}

/** Merging two accounts of one buyer: typed, posted to the confirmation (which names both addresses). */
function mergeForm(view: ShopperView): Html | '' {
  if (!view.visitor || !view.canEditGrants) return '';
  return html`<form method="post" action="/console/tenants/${view.tenant.handle}/confirm" class="form-row">
<input type="hidden" name="action" value="visitors-merge"><input type="hidden" name="email" value="${view.email}"><input type="hidden" name="csrf" value="${view.session.csrfToken}">
<div class="field"><label for="merge-other">Their other address (another shopper here)</label><input id="merge-other" name="other" type="email" required spellcheck="false"></div>
<div class="field"><button type="submit" class="secondary">Merge into this shopper…</button></div></form>`;
}

function section(title: string, count: string, body: Html): Html {
  return html`<section class="card"><h2>${title} <span class="count">${count}</span></h2>${body}</section>`;
}

/**
 * A buyer asked what is held about them: the same JSON as their own GET /v2/visitor/export, as a
 * download (audited as the operator). To be forgotten, they delete their account on the storefront's
 * page, or the storefront or an operator erases them (docs/playbooks.md).
 */
function exportForm(view: ShopperView): Html {
  return html`<form method="post" action="/console/tenants/${view.tenant.handle}/shopper/export" class="after">
${hidden({ csrf: view.session.csrfToken, email: view.email })}<p class="muted">A buyer who asks what is held about them gets this file (sessions, sign-ins, grants, passkeys, reports, audit and security events at ${view.tenant.name}); your download is recorded.</p>
<button type="submit" class="btn">Download export (JSON)</button></form>`;
}

export function shopperPage(view: ShopperView): string {
  const { tenant, email, visitor, now } = view;
  const active = view.sessions.filter((s) => sessionState(s, now).label === 'active').length;
  const newest = view.links[0];
  const intro = visitor
    ? html`<p class="sub">Shopper since ${when(visitor.created_at, now)} · visitor id <code>${visitor.id}</code></p>`
    : html`<p class="sub">This address never asked for a sign-in link at ${tenant.name}.</p>`;
  const actions = html`<section class="card"><h2>Actions</h2>
<p class="muted">${newest ? html`Newest link: ${badge(linkState(newest, now).label, linkState(newest, now).tone)} ` : ''}A re-sent link goes to this address from ${tenant.name}, with the usual sign-in limits (5 mails per 15 minutes, 20 a day).</p>
<div class="actions"><a class="btn" href="${confirmHref(view.session.csrfToken, tenant.handle, { action: 'resend', email })}">Re-send sign-in link…</a>
${active ? html`<a class="btn danger-quiet after" href="${confirmHref(view.session.csrfToken, tenant.handle, { action: 'revoke-all', email })}">${active === 1 ? 'Revoke the active session…' : `Revoke all ${active} active sessions…`}</a>` : ''}</div>
${visitor ? exportForm(view) : ''}</section>`;
  const empty = (text: string) => html`<p class="empty">${text}</p>`;
  return consolePage({
    title: email,
    requestId: view.requestId,
    session: view.session,
    nav: 'tenants',
    body: html`${flashBox(view.flash)}<p class="muted" style="margin:0"><a href="/console/">Storefronts</a> / <a href="/console/tenants/${tenant.handle}">${tenant.name}</a> /</p>
<h1>${email}</h1>${intro}
${actions}
<div class="cols"><div>
${section('Sign-in links', `${view.links.length} newest first`, view.links.length ? html`<ul class="items">${view.links.map((l) => linkItem(l, view))}</ul>` : empty('No sign-in links.'))}
${view.pendings.length ? section('Sign-ins from another device', `${view.pendings.length} newest first`, html`<ul class="items">${view.pendings.map((p) => pendingItem(p, view))}</ul>`) : ''}
${view.handoffs.length ? section('Checkout links', `${view.handoffs.length} newest first`, html`<ul class="items">${view.handoffs.map((h) => handoffItem(h, view))}</ul>`) : ''}
${section('Sessions', `${active} active`, view.sessions.length ? html`<ul class="items">${view.sessions.map((s) => sessionItem(s, view))}</ul>` : empty('Never signed in.'))}
${view.visitor ? section('Addresses', String(view.addresses.length), html`<ul class="items">${view.addresses.map((a) => addressItem(a, view))}</ul><div style="margin-top:.75rem">${mergeForm(view)}</div>`) : ''}
${section('Passkeys', `${view.passkeys.filter((p) => !p.removed_at).length} active`, view.passkeys.length ? html`<ul class="items">${view.passkeys.map((p) => passkeyItem(p, view))}</ul>` : empty('No passkeys: signs in by email only.'))}
</div><div>
${section('Support reports', `${view.reports.filter((r) => r.status === 'open').length} open`, reportList(tenant.handle, view.session.csrfToken, view.reports, now, email))}
${section('Grants', String(view.grants.length), html`${view.grants.length ? html`<ul class="items">${view.grants.map((g) => grantItem(g, view))}</ul>` : empty('No grants: this shopper sees no gated page.')}<div style="margin-top:.75rem">${grantForm(view)}</div>`)}
${section('Security events', String(view.events.length), view.events.length ? html`<ul class="items">${view.events.map((e) => eventItem(e, view))}</ul>` : empty('No replays or burned codes.'))}
</div></div>`,
  });
}
