// The console's home (the operator's tenants, find a shopper, look up a request), a tenant's page
// (mail outbox health, support reports) and its branding page.
import { html, type Html } from '../http/html.ts';
import { LOGO_MAX_HEIGHT, LOGO_MAX_WIDTH, type BrandingField, type TenantBranding } from '../tenants/branding.ts';
import { confirmHref } from './confirm-links.ts';
import { shopperHref } from './hrefs.ts';
import { badge, consolePage, handledFacts, hidden, relative, requestLink, when, type Tone } from './layout.ts';
import type { ConsoleSession } from './session.ts';
import type { ConsoleTenant, OutboxHealth, OutboxProblemRow, ReportRow } from './tenant-queries.ts';

export type Flash = { tone: 'ok' | 'warn'; message: string; requestId: string } | null;

/** Stuck: the oldest queued mail waited this long (the worker sends new mail at once). */
const STUCK_AFTER_MS = 5 * 60 * 1000;

function healthOf(health: OutboxHealth, now: Date): { label: string; tone: Tone } {
  if (health.oldestPendingAt && now.getTime() - health.oldestPendingAt.getTime() > STUCK_AFTER_MS)
    return { label: 'mail delayed', tone: 'red' };
  if (health.failed24h > 0) return { label: 'mail failures today', tone: 'amber' };
  if (health.retrying > 0) return { label: 'retrying', tone: 'amber' };
  return { label: 'mail healthy', tone: 'green' };
}

export function flashBox(flash: Flash): Html | '' {
  if (!flash) return '';
  return html`<div class="${flash.tone === 'ok' ? 'flash' : 'flash warn'}" role="status"><p><strong>${flash.message}</strong></p>
<p class="muted">Request id of this action: ${requestLink(flash.requestId)}</p></div>`;
}

function findShopperForm(tenants: ConsoleTenant[], selected?: string): Html {
  return html`<form method="get" action="/console/find" class="form-row search">
<div class="field"><label for="find-tenant">Storefront</label><select id="find-tenant" name="tenant">${tenants.map(
    (t) => html`<option value="${t.handle}"${t.handle === selected ? html` selected` : ''}>${t.name} (${t.handle})</option>`,
  )}</select></div>
<div class="field"><label for="find-email">Shopper's email</label><input id="find-email" name="email" type="email" inputmode="email" required placeholder="name@example.com"></div>
<div class="field"><button type="submit">Find shopper</button></div></form>`;
}

export function requestLookupForm(value = ''): Html {
  return html`<form method="get" action="/console/requests" class="form-row lookup">
<div class="field"><label for="lookup-id">Request id</label><input id="lookup-id" name="id" required value="${value}" placeholder="req_… or the reference on a page" autocomplete="off" spellcheck="false"></div>
<div class="field"><button type="submit">Look up</button></div></form>`;
}

export type TenantSummary = { tenant: ConsoleTenant; health: OutboxHealth; openReports: number };

export function homePage(input: {
  session: ConsoleSession;
  requestId: string;
  now: Date;
  summaries: TenantSummary[];
  isAdmin: boolean;
}): string {
  const { summaries, now } = input;
  const tenants = summaries.map((s) => s.tenant);
  const scope = input.isAdmin
    ? 'As an admin you see every storefront.'
    : `You support ${tenants.length === 1 ? 'one storefront' : `${tenants.length} storefronts`}.`;
  const tiles = summaries.length
    ? html`<div class="tiles">${summaries.map(({ tenant, health, openReports }) => {
        const state = healthOf(health, now);
        return html`<a class="tile" href="/console/tenants/${tenant.handle}"><strong>${tenant.name}</strong>
<span class="muted">${tenant.handle} · ${tenant.publicOrigin}</span>
<div class="actions">${badge(state.label, state.tone)}${openReports ? badge(`${openReports} open report${openReports === 1 ? '' : 's'}`, 'blue') : ''}</div>
<p class="muted" style="margin:.375rem 0 0">${health.pending} queued${health.oldestPendingAt ? ` (oldest ${relative(health.oldestPendingAt, now).replace(' ago', '')})` : ''} · ${health.failed24h} failed today · ${health.sent24h} sent today</p></a>`;
      })}</div>`
    : html`<p class="card empty">No storefronts yet. ${input.isAdmin ? 'Add one with bun run cli tenant add.' : 'Ask an admin to add you to one.'}</p>`;
  return consolePage({
    title: 'Storefronts',
    requestId: input.requestId,
    session: input.session,
    nav: 'tenants',
    body: html`<h1>Storefronts</h1><p class="sub">${scope}</p>
${tiles}
${tenants.length ? html`<section class="card"><h2>Find a shopper</h2>${findShopperForm(tenants)}</section>` : ''}
<section class="card"><h2>Look up a request</h2><p class="muted">Every page and API answer has a reference (<code>X-Request-Id</code>). Paste the one a shopper quotes.</p>${requestLookupForm()}</section>`,
  });
}

function reportItem(handle: string, csrfToken: string, report: ReportRow, now: Date, backEmail?: string): Html {
  const shopper = backEmail
    ? ''
    : html`<dt>Shopper</dt><dd>${report.shopper_email ? html`<a href="${shopperHref(handle, report.shopper_email)}">${report.shopper_email}</a>` : html`<span class="muted">unknown (not signed in, no request id cited)</span>`}</dd>`;
  const open = report.status === 'open';
  return html`<li class="item"><div class="item-head">${open ? badge('open', 'blue') : badge('handled', 'gray')}<strong>${report.summary}</strong></div>
<dl class="kv"><dt>Filed</dt><dd>${when(report.created_at, now)}</dd>
${shopper}
<dt>Cites request</dt><dd>${requestLink(report.cited_request_id)}</dd>
<dt>Filed by request</dt><dd>${requestLink(report.request_id)}</dd>
${handledFacts(report, now)}
<dt>Report id</dt><dd><code>${report.id}</code></dd></dl>
${report.details ? html`<pre>${report.details}</pre>` : ''}
${report.repro_artifact ? html`<details><summary>Repro artifact (redacted)</summary><pre>${report.repro_artifact}</pre></details>` : ''}
${open ? html`<div class="actions"><a class="btn sm secondary" href="${confirmHref(csrfToken, handle, { action: 'report-handled', report: report.id, ...(backEmail ? { email: backEmail } : {}) })}">Mark handled…</a></div>` : ''}</li>`;
}

/**
 * `csrfToken`: the session's, which seals the "mark handled" links (confirm-links.ts). `backEmail`:
 * after "mark handled", return to this shopper's page rather than the tenant's.
 */
export function reportList(handle: string, csrfToken: string, reports: ReportRow[], now: Date, backEmail?: string): Html {
  return reports.length
    ? html`<ul class="items">${reports.map((r) => reportItem(handle, csrfToken, r, now, backEmail))}</ul>`
    : html`<p class="empty">No support reports.</p>`;
}

function outboxItem(mail: OutboxProblemRow, handle: string, now: Date): Html {
  const state =
    mail.status === 'failed' ? badge('failed', 'red') : mail.attempts > 0 ? badge('retrying', 'amber') : badge('queued', 'amber');
  return html`<li class="item"><div class="item-head">${state}<a href="${shopperHref(handle, mail.to_address)}">${mail.to_address}</a></div>
<dl class="kv"><dt>Queued</dt><dd>${when(mail.created_at, now)}</dd>
<dt>Attempts</dt><dd>${mail.attempts}</dd>
${mail.status === 'failed' ? html`<dt>Failed</dt><dd>${when(mail.failed_at, now)}</dd>` : html`<dt>Next attempt</dt><dd>${when(mail.next_attempt_at, now)}</dd>`}
<dt>Last error</dt><dd>${mail.last_error ? html`<code>${mail.last_error}</code>` : html`<span class="muted">—</span>`}</dd>
<dt>Request</dt><dd>${requestLink(mail.request_id)}</dd></dl></li>`;
}

export function tenantPage(input: {
  session: ConsoleSession;
  requestId: string;
  now: Date;
  tenant: ConsoleTenant;
  health: OutboxHealth;
  problems: OutboxProblemRow[];
  reports: ReportRow[];
  flash: Flash;
}): string {
  const { tenant, health, now } = input;
  const state = healthOf(health, now);
  const openCount = input.reports.filter((r) => r.status === 'open').length;
  return consolePage({
    title: tenant.name,
    requestId: input.requestId,
    session: input.session,
    nav: 'tenants',
    body: html`${flashBox(input.flash)}<p class="muted" style="margin:0"><a href="/console/">Storefronts</a> /</p>
<h1>${tenant.name}</h1><p class="sub">${tenant.handle} · ${tenant.publicOrigin} · <a href="/console/tenants/${tenant.handle}/branding">Branding</a> · <a href="/console/tenants/${tenant.handle}/webhooks">Webhooks</a></p>
<section class="card"><h2>Find a shopper</h2>
<form method="get" action="/console/tenants/${tenant.handle}/shopper" class="form-row lookup">
<div class="field"><label for="shopper-email">Shopper's email</label><input id="shopper-email" name="email" type="email" inputmode="email" required placeholder="name@example.com"></div>
<div class="field"><button type="submit">Find shopper</button></div></form></section>
<div class="cols">
<section class="card"><h2>Support reports <span class="count">${openCount} open</span></h2>${reportList(tenant.handle, input.session.csrfToken, input.reports, now)}</section>
<section class="card"><h2>Mail outbox ${badge(state.label, state.tone)}</h2>
<div class="stats"><div class="stat"><b>${health.pending}</b><span>queued now</span></div>
<div class="stat"><b>${health.oldestPendingAt ? relative(health.oldestPendingAt, now).replace(' ago', '') : '—'}</b><span>oldest queued</span></div>
<div class="stat"><b>${health.failed24h}</b><span>failed today${health.failed > health.failed24h ? ` (${health.failed} in all)` : ''}</span></div>
<div class="stat"><b>${health.sent24h}</b><span>sent today</span></div></div>
<p class="muted">Last mail sent: ${when(health.lastSentAt, now)}. Temporary SMTP errors are retried with backoff (5 s, 10 s, 20 s … up to 15 min, 8 attempts).</p>
${input.problems.length ? html`<ul class="items">${input.problems.map((m) => outboxItem(m, tenant.handle, now))}</ul>` : html`<p class="empty">Nothing queued or failed.</p>`}</section>
</div>`,
  });
}

/** The branding form's fields as typed (kept after a refusal) and what was refused, by field. */
export type BrandingForm = { values: Record<BrandingField, string>; errors: Partial<Record<BrandingField, string>> };

/** The form's starting values: the tenant's current branding. */
export function brandingFormOf(branding: TenantBranding): BrandingForm {
  const text = (value: string | number | null) => (value === null ? '' : String(value));
  return {
    values: {
      logoUrl: text(branding.logoUrl),
      logoWidth: text(branding.logoWidth),
      logoHeight: text(branding.logoHeight),
      accentColor: text(branding.accentColor),
      supportContact: text(branding.supportContact),
    },
    errors: {},
  };
}

const BRANDING_INPUTS: { field: BrandingField; label: string; hint: string; type: string; extra?: Html }[] = [
  {
    field: 'logoUrl',
    label: 'Logo URL',
    hint: 'https:// only. Leave the three logo fields empty for no logo (the name is shown).',
    type: 'url',
  },
  {
    field: 'logoWidth',
    label: 'Logo width (px)',
    hint: `1–${LOGO_MAX_WIDTH}, as shown on the page.`,
    type: 'text',
    extra: html` inputmode="numeric"`,
  },
  { field: 'logoHeight', label: 'Logo height (px)', hint: `1–${LOGO_MAX_HEIGHT}.`, type: 'text', extra: html` inputmode="numeric"` },
  {
    field: 'accentColor',
    label: 'Accent colour',
    hint: 'Buttons, links and the focus ring; #rrggbb, dark enough for white text (WCAG AA, 4.5:1).',
    type: 'text',
    extra: html` placeholder="#0b57d0" spellcheck="false"`,
  },
  {
    field: 'supportContact',
    label: 'Support contact',
    hint: 'An email address or an https:// page; shown as “Need help? Contact …” on pages and in the mail.',
    type: 'text',
    extra: html` spellcheck="false"`,
  },
];

function brandingField(form: BrandingForm, input: (typeof BRANDING_INPUTS)[number], editable: boolean): Html {
  const error = form.errors[input.field];
  const id = `branding-${input.field}`;
  const described = error ? `${id}-error ${id}-hint` : `${id}-hint`;
  return html`<div class="field"><label for="${id}">${input.label}</label>
<input id="${id}" name="${input.field}" type="${input.type}" value="${form.values[input.field]}" autocomplete="off"${input.extra ?? ''}${editable ? '' : html` readonly`}${error ? html` aria-invalid="true"` : ''} aria-describedby="${described}">
${error ? html`<p class="field-error" id="${id}-error" data-field-error="${input.field}" style="color:#a1170f;font-weight:600;margin:.25rem 0 0">${error}</p>` : ''}<p class="muted" id="${id}-hint" style="margin:.25rem 0 0;font-size:.8125rem">${input.hint}</p></div>`;
}

/**
 * A storefront's branding (logo, accent colour, support contact): a form for admins, read-only for
 * support operators. After a refusal it comes back with the typed values and each error beside its field.
 */
export function brandingPage(input: {
  session: ConsoleSession;
  requestId: string;
  tenant: ConsoleTenant;
  form: BrandingForm;
  editable: boolean;
  flash: Flash;
}): string {
  const { tenant, form, session, editable } = input;
  const refused = Object.keys(form.errors).length;
  return consolePage({
    title: `Branding · ${tenant.name}`,
    requestId: input.requestId,
    session,
    nav: 'tenants',
    body: html`${flashBox(input.flash)}<p class="muted" style="margin:0"><a href="/console/">Storefronts</a> / <a href="/console/tenants/${tenant.handle}">${tenant.name}</a> /</p>
<h1>Branding</h1><p class="sub">What shoppers see on ${tenant.name}’s sign-in pages, diagnostics page and sign-in mail.</p>
${refused ? html`<div class="flash warn" role="alert"><p><strong>Nothing was saved: ${refused === 1 ? 'one field needs' : `${refused} fields need`} a change.</strong></p></div>` : ''}
<section class="card">${
      editable
        ? html`<form method="post" action="/console/tenants/${tenant.handle}/branding" novalidate>${hidden({ csrf: session.csrfToken })}
${BRANDING_INPUTS.map((field) => brandingField(form, field, true))}
<div class="actions"><button type="submit">Save branding</button><a class="btn secondary" href="/console/tenants/${tenant.handle}">Cancel</a></div></form>
<p class="muted" style="margin:.75rem 0 0">Saved as ${session.operator.email}; recorded in the audit trail. Pages change within a few seconds.</p>`
        : html`<p class="muted">Only admins change a storefront’s branding.</p>${BRANDING_INPUTS.map((field) => brandingField(form, field, false))}`
    }</section>`,
  });
}
