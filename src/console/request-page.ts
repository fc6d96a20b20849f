// The request-id lookup as a page: what happened on one request and around it (src/support/
// request-lookup.ts, the same answer as GET /v2/operator/requests/{id}), for the operator's tenants.
import { html, type Html } from '../http/html.ts';
import { deviceHtml } from './device-names.ts';
import { replayedLinkId, type FirstUse } from './device-queries.ts';
import { explainRequest, type Lookup } from './explanations.ts';
import { firstUseFacts } from './replay-view.ts';
import { shopperHref } from './hrefs.ts';
import { badge, consolePage, requestLink, when, type Tone } from './layout.ts';
import type { ConsoleSession } from './session.ts';
import { requestLookupForm } from './tenant-pages.ts';

export type { Lookup };

function statusTone(status: number | null): Tone {
  if (status === null) return 'gray';
  if (status >= 500) return 'red';
  if (status >= 400) return 'amber';
  return 'green';
}

/** An audit detail as `key: value` pairs (values that are objects as compact JSON). */
function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail ?? {})
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' · ');
}

/** `operator:<id>` as the operator's email when known. */
function actorText(actor: string, operators: Map<string, string>): string {
  return actor.startsWith('operator:') ? `operator ${operators.get(actor.slice(9)) ?? actor.slice(9)}` : actor;
}

function list<T>(items: T[], empty: string, item: (value: T) => Html): Html {
  return items.length ? html`<ul class="items">${items.map(item)}</ul>` : html`<p class="empty">${empty}</p>`;
}

function facts(found: Lookup, now: Date, handle: string | null): Html {
  const email = found.visitor?.email ?? null;
  return html`<dl class="kv">
<dt>Route</dt><dd>${found.route ? html`<code>${found.route.method} ${found.route.path}</code>` : html`<span class="muted">not in the request log${found.logged ? '' : ' (yet)'}</span>`}</dd>
<dt>Answer</dt><dd>${found.status !== null ? badge(String(found.status), statusTone(found.status)) : '—'} ${found.code ? html`<code>${found.code}</code>` : ''}</dd>
<dt>When</dt><dd>${when(found.timings.at, now)}${found.timings.durationMs !== null ? html` <span class="muted">· ${found.timings.durationMs} ms</span>` : ''}</dd>
<dt>Storefront</dt><dd>${found.tenant ? (handle ? html`<a href="/console/tenants/${handle}">${handle}</a>` : html`<code>${found.tenant.id}</code>`) : '—'}</dd>
<dt>Shopper</dt><dd>${email && handle ? html`<a href="${shopperHref(handle, email)}">${email}</a>` : (email ?? '—')}</dd>
<dt>Session</dt><dd>${found.sessionId ? html`<code>${found.sessionId}</code>` : '—'}</dd>
<dt>Client</dt><dd>${found.client ? html`${found.client.ip}${found.client.userAgent ? html` · ${deviceHtml(found.client.userAgent)}` : ''}` : '—'}</dd></dl>`;
}

/** A replay among the security events: its first use, the session linked on the shopper's page. */
function replayFacts(
  event: Lookup['securityEvents'][number],
  firstUses: Map<string, FirstUse>,
  found: Lookup,
  handle: string | null,
  now: Date,
): Html | '' {
  const linkId = replayedLinkId(event);
  if (!linkId) return '';
  const first = firstUses.get(linkId);
  const email = found.visitor?.email;
  const sessionHref = first?.session_id && handle && email ? `${shopperHref(handle, email)}#session-${first.session_id}` : null;
  return firstUseFacts(first, { ip: event.ip, userAgent: event.userAgent }, sessionHref, now);
}

export function requestPage(input: {
  session: ConsoleSession;
  requestId: string;
  now: Date;
  query: string;
  found: Lookup | null;
  handle: string | null;
  notFound: boolean;
  /** operator id → email, for the audit trail's actors. */
  operators: Map<string, string>;
  /** For each replayed link among the security events, its first use. */
  firstUses: Map<string, FirstUse>;
}): string {
  const { found, now } = input;
  const result = found
    ? html`<section class="card"><p class="explain" data-explain>${explainRequest(found, now, input.operators)}</p>
<h2>Request <code>${found.requestId}</code></h2>${facts(found, now, input.handle)}</section>
<div class="cols"><div>
<section class="card"><h2>Audit trail <span class="count">${found.audit.length}</span></h2>${list(
        found.audit,
        'Nothing recorded for this request.',
        (
          a,
        ) => html`<li class="item"><div class="item-head"><strong>${a.kind}</strong><span class="muted">by ${actorText(a.actor, input.operators)}</span></div>
<dl class="kv"><dt>When</dt><dd>${when(a.at, now)}</dd>${Object.keys(a.detail ?? {}).length ? html`<dt>Detail</dt><dd><code>${detailText(a.detail)}</code></dd>` : ''}</dl></li>`,
      )}</section>
<section class="card"><h2>Mail <span class="count">${found.mail.length}</span></h2>${list(
        found.mail,
        'This request sent no mail.',
        (
          m,
        ) => html`<li class="item"><div class="item-head">${badge(m.status, m.status === 'sent' ? 'green' : m.status === 'failed' ? 'red' : 'amber')}<strong>${m.kind}</strong></div>
<dl class="kv"><dt>Queued</dt><dd>${when(m.createdAt, now)}</dd><dt>Attempts</dt><dd>${m.attempts}</dd>
${m.sentAt ? html`<dt>Sent</dt><dd>${when(m.sentAt, now)}</dd>` : ''}${m.failedAt ? html`<dt>Failed</dt><dd>${when(m.failedAt, now)}</dd>` : ''}${m.nextAttemptAt ? html`<dt>Next attempt</dt><dd>${when(m.nextAttemptAt, now)}</dd>` : ''}
${m.lastError ? html`<dt>Last error</dt><dd><code>${m.lastError}</code></dd>` : ''}</dl></li>`,
      )}</section>
<section class="card"><h2>Security events <span class="count">${found.securityEvents.length}</span></h2>${list(
        found.securityEvents,
        'None within ±10 minutes.',
        (
          s,
        ) => html`<li class="item"><div class="item-head">${badge(s.sameRequest ? 'this request' : 'nearby', s.sameRequest ? 'red' : 'amber')}<strong>${s.kind}</strong></div>
<dl class="kv"><dt>When</dt><dd>${when(s.at, now)}</dd><dt>Request</dt><dd>${requestLink(s.requestId)}</dd><dt>IP</dt><dd>${s.ip ?? '—'}</dd><dt>Browser</dt><dd>${deviceHtml(s.userAgent)}</dd>
${replayFacts(s, input.firstUses, found, input.handle, now)}</dl></li>`,
      )}</section>
</div><div>
<section class="card"><h2>The shopper's other requests <span class="count">±10 min</span></h2>${list(
        found.relatedRequests,
        'No other requests of this shopper or session within ±10 minutes.',
        (
          r,
        ) => html`<li class="item"><div class="item-head">${badge(String(r.status), statusTone(r.status))}<code>${r.method} ${r.path}</code></div>
<dl class="kv"><dt>When</dt><dd>${when(r.at, now)}</dd><dt>Request</dt><dd>${requestLink(r.requestId)}</dd>${r.code ? html`<dt>Code</dt><dd><code>${r.code}</code></dd>` : ''}</dl></li>`,
      )}</section>
<section class="card"><h2>Reports and escalations <span class="count">${found.reports.length + found.escalations.length}</span></h2>${list(
        [
          ...found.reports.map((r) => ({ kind: 'report' as const, r })),
          ...found.escalations.map((e) => ({ kind: 'escalation' as const, e })),
        ],
        'No report or escalation cites this request.',
        (item) =>
          item.kind === 'report'
            ? html`<li class="item"><div class="item-head">${badge(item.r.status, item.r.status === 'open' ? 'blue' : 'gray')}<strong>${item.r.summary}</strong></div>
<dl class="kv"><dt>Filed</dt><dd>${when(item.r.filedAt, now)}</dd><dt>Report id</dt><dd><code>${item.r.reportId}</code></dd></dl>${item.r.details ? html`<pre>${item.r.details}</pre>` : ''}</li>`
            : html`<li class="item"><div class="item-head">${badge(item.e.severity, 'red')}<strong>${item.e.summary}</strong></div>
<dl class="kv"><dt>Filed</dt><dd>${when(item.e.filedAt, now)}</dd><dt>Escalation id</dt><dd><code>${item.e.escalationId}</code></dd></dl></li>`,
      )}</section>
</div></div>`
    : input.notFound
      ? html`<section class="card"><p class="empty">No request with the id <code>${input.query}</code> is known. The request log keeps every request but the edge check; a request from the last second may not be written yet — try again.</p></section>`
      : '';
  return consolePage({
    title: found ? `Request ${found.requestId}` : 'Request lookup',
    requestId: input.requestId,
    session: input.session,
    nav: 'requests',
    body: html`<h1>Request lookup</h1><p class="sub">What happened on one request and around it: the route and answer, the mail, the audit trail, security events and reports.</p>
<section class="card">${requestLookupForm(input.query)}</section>${result}`,
  });
}
