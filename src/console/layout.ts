// The console's page layout: a top bar with the nav and the signed-in operator, one column on a
// phone, wider on a laptop. Server-rendered with the escaping `html` template; no scripts, no
// third-party assets, works without JavaScript. Every page shows its request id at the bottom.
import { Html, html } from '../http/html.ts';
import type { ConsoleSession } from './session.ts';

const STYLE = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f4f2;color:#1d1d1f;overflow-wrap:anywhere}
a{color:#0b57d0;text-underline-offset:.15em}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.bar{background:#1d1d1f;color:#fff}
.bar-in{max-width:72rem;margin:0 auto;padding:.625rem .875rem;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.25rem}
.bar .brand{font-weight:700;letter-spacing:.01em;color:#fff;text-decoration:none;margin-right:auto}
.bar nav{display:flex;gap:.25rem 1rem;flex-wrap:wrap}
.bar nav a{color:#e8e8e8;text-decoration:none;padding:.25rem 0;border-bottom:2px solid transparent}
.bar nav a[aria-current]{color:#fff;border-bottom-color:#fff}
.who{display:flex;align-items:center;gap:.625rem;font-size:.875rem;color:#d0d0d0;width:100%;justify-content:space-between}.who span{min-width:0}
.who form{margin:0}
.who button{background:transparent;color:#fff;border:1px solid #8a8a8a;border-radius:8px;padding:.25rem .75rem;min-height:2rem;font:inherit;cursor:pointer;white-space:nowrap}
main{max-width:72rem;margin:0 auto;padding:1rem .875rem 2rem}
h1{font-size:1.375rem;line-height:1.25;margin:.5rem 0 .25rem}
.sub{color:#555;margin:0 0 1rem}
h2{font-size:1.0625rem;margin:0 0 .75rem;display:flex;align-items:baseline;gap:.5rem;flex-wrap:wrap}
h2 .count{font-weight:400;color:#666;font-size:.875rem}
.card{background:#fff;border:1px solid #e0ded8;border-radius:12px;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 2px rgba(0,0,0,.04)}
.narrow{max-width:30rem;margin:1.5rem auto 0}
p{margin:0 0 .875rem}
.muted,.ago{color:#5f5f5f}.ago{font-size:.8125rem;white-space:nowrap}
.empty{color:#5f5f5f;margin:0}
ul.items{list-style:none;margin:0;padding:0}
li.item{border-top:1px solid #ecebe6;padding:.75rem 0}li.item:first-child{border-top:0;padding-top:0}li.item:last-child{padding-bottom:0}
.item-head{display:flex;flex-wrap:wrap;align-items:center;gap:.375rem .625rem;margin:0 0 .375rem}
.item-head strong{font-weight:600}
dl.kv{display:grid;grid-template-columns:minmax(6.5rem,max-content) minmax(0,1fr);gap:.125rem .875rem;margin:0;font-size:.875rem}
dl.kv dt{color:#5f5f5f}dl.kv dd{margin:0}
.badge{display:inline-block;font-size:.75rem;font-weight:700;letter-spacing:.02em;text-transform:uppercase;padding:.0625rem .5rem;border-radius:999px;border:1px solid}
.b-green{background:#e7f5ec;color:#135e2f;border-color:#9fd3b1}
.b-blue{background:#e8f0fe;color:#0b4aa8;border-color:#a9c3f2}
.b-amber{background:#fff4dc;color:#7a4b00;border-color:#f0cf85}
.b-red{background:#fdecea;color:#a1170f;border-color:#f1a9a3}
.b-gray{background:#f0f0ee;color:#4a4a4a;border-color:#cfcfca}
code{font:.8125rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;background:#f0efeb;padding:.0625rem .3125rem;border-radius:5px;word-break:break-all}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f5f1;border:1px solid #e6e4de;border-radius:8px;padding:.625rem;font:.8125rem/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin:.375rem 0 0;max-height:16rem;overflow:auto}
label{display:block;font-weight:600;font-size:.875rem;margin:0 0 .25rem}
input,select,textarea{display:block;width:100%;font:inherit;color:inherit;background:#fff;padding:.5rem .625rem;min-height:2.625rem;border:1px solid #767676;border-radius:8px}
textarea{resize:vertical;min-height:5rem}
input:focus-visible,select:focus-visible,textarea:focus-visible{outline-offset:0;border-color:#0b57d0}
.field{margin:0 0 .75rem}
fieldset{border:0;padding:0;min-width:0}legend{font-weight:600;font-size:.875rem;padding:0;margin:0 0 .25rem}
label.check{display:flex;gap:.5rem;align-items:flex-start;font-weight:400;margin:0 0 .375rem}
label.check input{display:inline-block;width:auto;min-height:0;margin:.25rem 0 0;flex:none}
.form-row{display:grid;gap:.75rem;align-items:end}
.form-row>*{min-width:0}
.form-row .field{margin:0}
.btn,button{display:inline-block;white-space:nowrap;font:inherit;font-weight:600;text-align:center;text-decoration:none;padding:.5rem 1rem;min-height:2.625rem;border:1px solid #1d1d1f;border-radius:8px;background:#1d1d1f;color:#fff;cursor:pointer}
.btn:visited{color:#fff}
.btn.secondary,button.secondary{background:#fff;color:#1d1d1f;border-color:#767676}.btn.secondary:visited{color:#1d1d1f}
.btn.danger,button.danger{background:#b3261e;border-color:#b3261e;color:#fff}
.btn.danger-quiet{background:#fff;color:#a1170f;border-color:#c9544c}.btn.danger-quiet:visited{color:#a1170f}
.actions .after{margin-left:auto}
.btn.sm,button.sm{padding:.25rem .75rem;min-height:2.25rem;font-size:.875rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 0}
.actions form{margin:0}
.flash{border:1px solid #9fd3b1;background:#eef8f1;border-radius:12px;padding:.75rem 1rem;margin:0 0 1rem}
.flash.warn{border-color:#f0cf85;background:#fff8e8}
.flash p{margin:0 0 .25rem}
.error-card{border-top:4px solid #b3261e}
.stats{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:.5rem;margin:0 0 .75rem}
.stat{border:1px solid #ecebe6;border-radius:10px;padding:.5rem .625rem}
.stat b{display:block;font-size:1.25rem;line-height:1.2}
.stat span{font-size:.8125rem;color:#5f5f5f}
.tiles{display:grid;gap:.75rem;margin:0 0 1rem}
.tile{display:block;background:#fff;border:1px solid #e0ded8;border-radius:12px;padding:.875rem 1rem;text-decoration:none;color:inherit}
.tile:hover{border-color:#767676}
.tile strong{display:block;font-size:1.0625rem;color:#0b57d0}
.note{white-space:pre-wrap}
.lead{font-size:1.0625rem}
.explain{font-size:1.0625rem;margin:0 0 1rem;padding:0 0 .875rem;border-bottom:1px solid #ecebe6}
details.ua{display:inline}details.ua summary{cursor:pointer}details.ua[open]{display:block}details.ua code{display:block;margin:.25rem 0 0}
.foot{margin:1.5rem 0 0;font-size:.8125rem;color:#5f5f5f}.foot.narrow{margin:1rem auto 0;padding:0 .25rem}
@media (min-width:48rem){
body{font-size:15px}
main{padding:1.5rem 1.25rem 2.5rem}
.bar-in{padding:.75rem 1.25rem}.who{width:auto}
.card{padding:1.25rem 1.5rem}
.form-row{grid-template-columns:repeat(auto-fit,minmax(min(100%,12rem),1fr))}
.form-row.search{grid-template-columns:minmax(min(100%,10rem),16rem) minmax(min(100%,14rem),1fr) auto}
.form-row.lookup{grid-template-columns:minmax(min(100%,14rem),36rem) auto;justify-content:start}
.form-row.grant{grid-template-columns:repeat(auto-fit,minmax(min(100%,11rem),1fr))}
.stats{grid-template-columns:repeat(4,minmax(0,1fr))}
.tiles{grid-template-columns:repeat(auto-fill,minmax(22rem,1fr))}
.cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:0 1rem;align-items:start}
}`;

export type NavKey = 'tenants' | 'requests' | null;

export type LayoutInput = {
  title: string;
  requestId: string;
  body: Html;
  /** Signed in: shows the nav, the operator and the sign-out form. */
  session?: ConsoleSession | null;
  nav?: NavKey;
  /** Error pages: the code to quote. */
  code?: string;
  /** One narrow card (sign-in, confirmations, errors): the reference sits under it. */
  narrow?: boolean;
  /** A same-origin path to load at once (no JavaScript: a meta refresh). */
  refreshTo?: string;
};

function navLink(href: string, label: string, active: boolean): Html {
  return active ? html`<a href="${href}" aria-current="page">${label}</a>` : html`<a href="${href}">${label}</a>`;
}

function topBar(session: ConsoleSession | null | undefined, nav: NavKey): Html {
  if (!session) return html`<header class="bar"><div class="bar-in"><a class="brand" href="/console/">Support console</a></div></header>`;
  return html`<header class="bar"><div class="bar-in">
<a class="brand" href="/console/">Support console</a>
<nav aria-label="Console">${navLink('/console/', 'Storefronts', nav === 'tenants')}${navLink('/console/requests', 'Request lookup', nav === 'requests')}</nav>
<div class="who"><span>${session.operator.email} · ${session.operator.role}</span>
<form method="post" action="/console/sign-out"><input type="hidden" name="csrf" value="${session.csrfToken}"><button type="submit">Sign out</button></form></div>
</div></header>`;
}

export function consolePage(input: LayoutInput): string {
  const reference = input.code
    ? html`Error code <code data-error-code>${input.code}</code> · reference <code data-request-id>${input.requestId}</code>`
    : html`Reference <code data-request-id>${input.requestId}</code>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><meta name="color-scheme" content="light"><title>${input.title} · Support console</title>
${input.refreshTo ? html`<meta http-equiv="refresh" content="${`0;url=${input.refreshTo}`}">` : ''}
<style>${new Html(STYLE)}</style></head>
<body>${topBar(input.session, input.nav ?? null)}
<main>${input.body}<footer class="${input.narrow ? 'foot narrow' : 'foot'}">${reference}</footer></main>
</body></html>`.value;
}

// --- small pieces the pages share -------------------------------------------------------------

const MINUTE = 60_000;

/** "3 min ago", "in 12 min", "2 h ago", "5 d ago". */
export function relative(at: Date, now: Date): string {
  const ms = now.getTime() - at.getTime();
  const abs = Math.abs(ms);
  const text =
    abs < MINUTE
      ? `${Math.max(1, Math.round(abs / 1000))} s`
      : abs < 60 * MINUTE
        ? `${Math.round(abs / MINUTE)} min`
        : abs < 48 * 60 * MINUTE
          ? `${Math.round(abs / (60 * MINUTE))} h`
          : `${Math.round(abs / (24 * 60 * MINUTE))} d`;
  return ms >= 0 ? `${text} ago` : `in ${text}`;
}

/** A moment: UTC to the second (no JavaScript to localise it), and how long ago. */
export function when(at: Date | string | null | undefined, now: Date): Html {
  if (at === null || at === undefined) return html`<span class="muted">—</span>`;
  const date = new Date(at);
  const text = date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
  return html`<time datetime="${date.toISOString()}">${text}</time> <span class="ago">(${relative(date, now)})</span>`;
}

export type Tone = 'green' | 'blue' | 'amber' | 'red' | 'gray';

export function badge(text: string, tone: Tone): Html {
  return html`<span class="badge b-${tone}">${text}</span>`;
}

/** How a handled report was handled: when, by whom, and their note. */
export function handledFacts(
  report: { handled_at: Date | null; handled_by: string | null; handled_note: string | null },
  now: Date,
): Html | '' {
  if (!report.handled_at) return '';
  return html`<dt>Handled</dt><dd>${when(report.handled_at, now)}${report.handled_by ? html` by ${report.handled_by}` : ''}</dd>
${report.handled_note ? html`<dt>Note</dt><dd class="note" data-handled-note>${report.handled_note}</dd>` : ''}`;
}

/** A request id, linked to its lookup. */
export function requestLink(requestId: string | null | undefined): Html {
  if (!requestId) return html`<span class="muted">—</span>`;
  return html`<a href="/console/requests?id=${encodeURIComponent(requestId)}"><code>${requestId}</code></a>`;
}

export function hidden(fields: Record<string, string | null | undefined>): Html {
  return html`${Object.entries(fields)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}`;
}
