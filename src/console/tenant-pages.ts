// The console's home (the operator's tenants, find a shopper, look up a request) and a tenant's page
// (mail outbox health, support reports).
import { html, type Html } from '../http/html.ts';
import { confirmHref } from './confirm-links.ts';
import { badge, consolePage, handledFacts, relative, requestLink, shopperHref, when, type Tone } from './layout.ts';
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
<h1>${tenant.name}</h1><p class="sub">${tenant.handle} · ${tenant.publicOrigin}</p>
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
