// Server-rendered HTML: a tagged template that escapes every interpolation unless it is already
// Html, plus the one page layout (tenant-branded, mobile-first, no inline scripts, no third-party
// assets; a page that needs our one script says so in its CSP, see pageHeaders).
import { DEFAULT_LOCALE, type Locale } from '../i18n/locales.ts';
import { type Messages, messagesFor } from '../i18n/messages.ts';
import { pastMoment } from '../i18n/time.ts';

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

// Mobile-first: one column that fits a 320 px phone, long addresses, ids and tokens wrap anywhere,
// text and control borders meet WCAG AA contrast, every control shows a visible focus ring.
const STYLE = `
*{box-sizing:border-box}
dl.facts{display:grid;grid-template-columns:auto 1fr;gap:.35rem 1rem;margin:1rem 0}dl.facts dt{color:#555}dl.facts dd{margin:0;font-weight:600;overflow-wrap:normal}\n@media (max-width:480px){dl.facts{grid-template-columns:1fr;gap:0}dl.facts dd{margin-bottom:.5rem}}
pre.copy{white-space:pre-wrap;overflow-wrap:anywhere;background:#f0eee9;border-radius:10px;padding:.8rem;font-size:.85rem}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f6f5f2;color:#1d1d1f;
overflow-wrap:anywhere}
main{max-width:30rem;margin:0 auto;padding:1.25rem .875rem 3rem}
.brand{margin:0 .25rem .875rem;font-size:1.0625rem;font-weight:700;letter-spacing:.01em;color:#1d1d1f}
.brand img{display:block;max-width:100%;height:auto}
.card{background:#fff;border:1px solid #e2dfd8;border-radius:16px;padding:1.5rem 1.25rem;
box-shadow:0 1px 3px rgba(0,0,0,.06)}
.card.error{position:relative;overflow:hidden;padding-top:1.75rem}
.card.error::before{content:"";position:absolute;top:0;left:0;right:0;height:4px;background:#b3261e}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .875rem;text-wrap:balance}
p{margin:0 0 1rem}ul{margin:0 0 1.25rem;padding-left:1.25rem}li{margin:0 0 .5rem}
form{margin:0 0 .75rem}label{display:block;font-weight:600;margin:0 0 .375rem}
input{display:block;width:100%;font:inherit;color:inherit;background:#fff;padding:.75rem .875rem;min-height:3rem;
border:1px solid #767676;border-radius:10px;margin:0 0 1rem}
input[aria-invalid=true]{border:2px solid #b3261e}
.field-error{color:#b3261e;font-weight:600;margin:-.5rem 0 1rem}
input.code{font-size:1.5rem;letter-spacing:.3em;text-align:center;font-variant-numeric:tabular-nums}
button,.button{display:block;width:100%;font:inherit;font-weight:600;text-align:center;text-decoration:none;
padding:.75rem 1rem;min-height:3rem;border:1px solid #1d1d1f;border-radius:10px;background:#1d1d1f;color:#fff;cursor:pointer}
button:hover{background:#000}
button.secondary,.button.secondary{background:#fff;color:#1d1d1f;border-color:#767676}
button.secondary:hover,.button.secondary:hover{background:#f0eee9}
a{color:#0b57d0;text-underline-offset:.15em}a:visited{color:#0b57d0}
.alt{margin-top:1.5rem;padding-top:1.25rem;border-top:1px solid #e2dfd8}
.alt p{color:#4a4a4a}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
input:focus-visible{outline-offset:0;border-color:#0b57d0}
.ref{margin-top:1.5rem;padding-top:1rem;border-top:1px solid #e2dfd8;font-size:.875rem;color:#555}
.ref p{margin:0 0 .5rem}.ref dl{margin:0}.ref dt{font-weight:600}.ref dd{margin:0 0 .5rem}.nowrap{white-space:nowrap}
h2{font-size:1.125rem;margin:0 0 .5rem}
.choices{display:flex;gap:.75rem;margin:0 0 1rem}.choices form{flex:1;margin:0}
.choices button{font-size:1.5rem;font-variant-numeric:tabular-nums;background:#fff;color:#1d1d1f;border-color:#767676}
.pending{margin:0 0 1.25rem;padding:1rem;border:1px solid #e2dfd8;border-radius:12px;background:#f6f5f2}
.number{font-size:2rem;line-height:1;font-variant-numeric:tabular-nums;letter-spacing:.05em}
code{font:.875rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;background:#f0eee9;color:#1d1d1f;
padding:.125rem .375rem;border-radius:6px;word-break:break-all}
@media (min-width:40rem){main{padding-top:3.5rem}.card,.card.error{padding:2rem}
.ref dl{display:grid;grid-template-columns:auto minmax(0,1fr);gap:.375rem .75rem;align-items:baseline}.ref dd{margin:0}}`;

/**
 * What a hosted page shows of its storefront (the tenants feature's `Tenant` satisfies it). The
 * values were validated when they were set (tenants/branding.ts); what goes into CSS or the CSP
 * header is checked again here, because those are not escaped by the `html` tag.
 */
export type PageBranding = {
  name: string;
  logoUrl: string | null;
  logoWidth: number | null;
  logoHeight: number | null;
  accentColor: string | null;
  supportContact: string | null;
};

const HEX_COLOR = /^#[0-9a-f]{6}$/;

/**
 * The one Content-Security-Policy of every answer; `imgOrigin`: the one other origin a page may
 * load images from (a logo); `script`: the page loads our own script (same origin, never inline).
 */
export function contentSecurityPolicy(imgOrigin?: string | null, options: { script?: boolean } = {}): string {
  const img = imgOrigin ? `'self' ${imgOrigin}` : "'self'";
  const script = options.script ? "; script-src 'self'; connect-src 'self'" : '';
  return `default-src 'none'; style-src 'unsafe-inline'; img-src ${img}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'${script}`;
}

/** The https origin of a logo URL, or null when it is none we would write into a header. */
export function logoOrigin(logoUrl: string | null | undefined): string | null {
  if (!logoUrl) return null;
  try {
    const { origin } = new URL(logoUrl);
    return /^https:\/\/[a-z0-9.-]+(?::\d{1,5})?$/.test(origin) ? origin : null;
  } catch {
    return null;
  }
}

/** The headers of a hosted HTML page: its type, and a CSP that lets exactly the page's logo (and, with `script`, our own script) in. */
export function pageHeaders(branding?: PageBranding | null, options: { script?: boolean } = {}): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': contentSecurityPolicy(logoOrigin(branding?.logoUrl), options),
  };
}

/** A support contact as a link target: an address becomes mailto:, an https URL stays itself. */
export function supportContactHref(contact: string): string {
  return contact.startsWith('https://') ? contact : `mailto:${contact}`;
}

/** The storefront's accent for buttons, links and the focus ring, as one custom property. */
function accentStyle(accent: string | null | undefined): string {
  if (!accent || !HEX_COLOR.test(accent)) return '';
  return `
:root{--accent:${accent}}
button,.button{background:var(--accent);border-color:var(--accent)}button:hover{background:color-mix(in srgb,var(--accent) 85%,#000)}
a:not(.button),a:not(.button):visited{color:var(--accent)}
:focus-visible{outline-color:var(--accent)}input:focus-visible{border-color:var(--accent)}`;
}

function brandHeader(brand: string, branding?: PageBranding | null): Html {
  if (branding?.logoUrl && branding.logoWidth && branding.logoHeight && logoOrigin(branding.logoUrl)) {
    return html`<header class="brand"><img class="logo" src="${branding.logoUrl}" width="${branding.logoWidth}" height="${branding.logoHeight}" alt="${branding.name}"></header>`;
  }
  return html`<header class="brand">${brand}</header>`;
}

/** "Need help? …": whom to ask (the storefront's support contact when it has one) and what to quote. */
function helpLine(m: Messages['layout'], code: string | undefined, branding?: PageBranding | null): Html {
  const contact = branding?.supportContact;
  if (!contact) return html`<p>${code ? m.helpWithCode : m.help}</p>`;
  const link = html`<a href="${supportContactHref(contact)}">${contact}</a>`;
  return html`<p data-support-contact>${code ? m.contactWithCode(link) : m.contact(link)}</p>`;
}

/**
 * The one page layout. `locale` (default English) sets `<html lang>` and the footer's words; the
 * caller's title and body are already in that language. `branding`: the storefront's logo, accent
 * and support contact; pair with `pageHeaders(branding)` for its CSP.
 */
export function page(options: {
  brand: string;
  title: string;
  body: Html;
  code?: string;
  requestId: string;
  branding?: PageBranding | null;
  locale?: Locale;
}): string {
  const { branding } = options;
  const m = messagesFor(options.locale ?? DEFAULT_LOCALE).layout;
  const locale = options.locale ?? DEFAULT_LOCALE;
  return html`<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><meta name="color-scheme" content="light"><title>${options.title} · ${options.brand}</title>
<style>${new Html(STYLE + accentStyle(branding?.accentColor))}</style></head>
<body><main>${brandHeader(options.brand, branding)}
<div class="${options.code ? 'card error' : 'card'}">
<h1>${options.title}</h1>${options.body}
<footer class="ref">${helpLine(m, options.code, branding)}
<dl>${options.code ? html`<dt>${m.errorCode}</dt><dd><code data-error-code>${options.code}</code></dd>` : ''}<dt>${m.reference}</dt><dd><code data-request-id>${options.requestId}</code></dd></dl></footer>
</div></main></body></html>`.value;
}

/** Whose page it is and for whom: the storefront (its name and branding), the request, the shopper's language. */
export type StorefrontPageFor = { tenant: PageBranding; requestId: string; locale: Locale };

/** A hosted page in the storefront's name and branding (the one layout, `page`). */
export function storefrontPage(on: StorefrontPageFor, content: { title: string; body: Html; code?: string }): string {
  return page({ brand: on.tenant.name, branding: on.tenant, requestId: on.requestId, locale: on.locale, ...content });
}

/**
 * A past moment as a person reads it: "today at 14:05 UTC (12 minutes ago)", in `locale` (default
 * English). The `<time>` element keeps the exact instant (to the second, never milliseconds) for machines.
 */
export function readableTime(at: Date, now: Date, locale: Locale = DEFAULT_LOCALE): Html {
  const exact = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const { when, ago } = pastMoment(locale, at, now);
  return html`<time datetime="${exact}">${when}</time> (${ago})`;
}
