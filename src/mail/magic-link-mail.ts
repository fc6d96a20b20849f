// The sign-in email: multipart text + HTML, from the tenant's sender name. The HTML part is a
// phone-first email: one column, inline styles only, no scripts and no external assets; every
// value from the tenant is escaped by the `html` tag.
import { type Html, html, type PageBranding, supportContactHref } from '../http/html.ts';
import { DEFAULT_LOCALE, type Locale } from '../i18n/locales.ts';
import { type Messages, messagesFor } from '../i18n/messages.ts';
import { duration } from '../i18n/time.ts';

export function parseSender(text: string): { name: string; address: string } {
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(text);
  if (match) return { name: match[1]!.trim(), address: match[2]!.trim() };
  return { name: '', address: text.trim() };
}

/**
 * A lifetime in words, rounded down so the mail never promises more time than the link has:
 * seconds below a minute, minutes below two hours ("90 minutes" reads better than "1 hour"), hours above.
 */
export function humanDuration(seconds: number, locale: Locale = DEFAULT_LOCALE): string {
  return duration(locale, seconds);
}

/** What the mail shows of the storefront: its logo, accent colour and support contact (tenants/branding.ts validated them). */
export type MailBranding = Omit<PageBranding, 'name'>;

/** `code` null: a link-only mail (the support console signs in by link alone). */
export function magicLinkMail(input: {
  tenantName: string;
  link: string;
  code: string | null;
  ttlSeconds: number;
  branding?: MailBranding | null;
  /** Of the request that asked (default English). */
  locale?: Locale;
  /** Which words (default the sign-in mail's): another mail of the same layout, e.g. `addressMail`. */
  words?: 'mail' | 'addressMail' | 'changeMail';
}): {
  subject: string;
  text: string;
  html: string;
} {
  const { tenantName, link, code } = input;
  const locale = input.locale ?? DEFAULT_LOCALE;
  const m = messagesFor(locale)[input.words ?? 'mail'];
  const lifetime = humanDuration(input.ttlSeconds, locale);
  const validity = code === null ? m.validLink(lifetime) : m.validLinkAndCode(lifetime);
  // The preheader is the line a mail list shows after the subject.
  const preheader = code === null ? m.preheaderLink(tenantName, lifetime) : m.preheaderLinkAndCode(tenantName, lifetime);
  const parts = { tenantName, link, code, validity, m, branding: input.branding };
  return {
    subject: m.subject(tenantName),
    text: plainText(parts),
    html: htmlPart({ ...parts, preheader, locale }),
  };
}

type Parts = {
  tenantName: string;
  link: string;
  code: string | null;
  validity: string;
  m: Messages['mail'];
  branding?: MailBranding | null;
};

const HEX_COLOR = /^#[0-9a-f]{6}$/;
const NEUTRAL_BUTTON = '#1d1d1f';

/** The logo (at its set size, the name as alt text) or the name, above the card. */
function mailHeader(tenantName: string, branding?: MailBranding | null): Html {
  if (branding?.logoUrl?.startsWith('https://') && branding.logoWidth && branding.logoHeight) {
    return html`<p style="margin:0 0 .875rem"><img data-logo src="${branding.logoUrl}" width="${branding.logoWidth}" height="${branding.logoHeight}" alt="${tenantName}" style="display:block;max-width:100%;height:auto;border:0;font-weight:700;color:#1d1d1f"></p>`;
  }
  return html`<p style="margin:0 0 .875rem;font-weight:700;color:#1d1d1f;overflow-wrap:anywhere">${tenantName}</p>`;
}

function buttonColor(branding?: MailBranding | null): string {
  const accent = branding?.accentColor;
  return accent && HEX_COLOR.test(accent) ? accent : NEUTRAL_BUTTON;
}

/** Below the card: whom to ask. The link takes the accent (AA on white, as checked when it was set). */
function contactFooter(m: Messages['mail'], branding?: MailBranding | null): Html | '' {
  const contact = branding?.supportContact;
  if (!contact) return '';
  const color = branding?.accentColor && HEX_COLOR.test(branding.accentColor) ? branding.accentColor : '#0b57d0';
  const link = html`<a href="${supportContactHref(contact)}" style="color:${color};overflow-wrap:anywhere">${contact}</a>`;
  return html`<p data-support-contact style="margin:1rem .25rem 0;color:#555;font-size:.9rem">${m.needHelp(link)}</p>`;
}

function plainText({ tenantName, link, code, validity, m, branding }: Parts): string {
  return [
    m.title(tenantName),
    '',
    m.openLink,
    link,
    '',
    ...(code === null ? [] : [`${m.orCode} ${code}`, '']),
    validity,
    m.ignore,
    ...(branding?.supportContact ? ['', m.needHelp(branding.supportContact).join('')] : []),
    '',
  ].join('\n');
}

function htmlPart({
  tenantName,
  link,
  code,
  validity,
  m,
  preheader,
  locale,
  branding,
}: Parts & { preheader: string; locale: Locale }): string {
  // Hidden in every client yet still read as the preview line; the trailing spacers keep the
  // client from filling the preview with the body's first words.
  const hidden = 'display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;mso-hide:all;font-size:1px;line-height:1px;color:#fff';
  return html`<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light"><meta name="x-apple-disable-message-reformatting"><title>${m.title(tenantName)}</title></head>
<body style="margin:0;padding:0;background:#f6f5f2;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f;-webkit-text-size-adjust:100%;text-size-adjust:100%">
<div data-preheader style="${hidden}">${preheader}${'\u00a0\u200c'.repeat(40)}</div>
<div style="max-width:30rem;margin:0 auto;padding:1.25rem .875rem 2rem;box-sizing:border-box">
${mailHeader(tenantName, branding)}
<div style="background:#fff;border:1px solid #e2dfd8;border-radius:16px;padding:1.5rem 1.25rem">
<h1 style="font-size:1.4rem;line-height:1.25;margin:0 0 1rem;overflow-wrap:anywhere">${m.title(tenantName)}</h1>
<p style="margin:0 0 1.25rem"><a data-button href="${link}" style="display:block;text-align:center;background:${buttonColor(branding)};color:#fff;padding:.75rem 1rem;border-radius:10px;text-decoration:none;font-weight:600">${m.button}</a></p>
<p style="margin:0 0 .375rem;color:#4a4a4a;font-size:.9rem">${m.buttonFallback}</p>
<p style="margin:0 0 1.25rem;font-size:.85rem"><a data-copy-link href="${link}" style="color:#0b57d0;word-break:break-all;overflow-wrap:anywhere">${link}</a></p>
${
  code === null
    ? ''
    : html`<p style="margin:0 0 .375rem">${m.orCode}</p>
<p data-code style="margin:0 0 1.25rem;font:700 2rem/1.2 ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace;letter-spacing:.2em;background:#f0eee9;border-radius:10px;padding:.75rem;text-align:center">${code}</p>
`
}<p style="margin:0;color:#555;font-size:.9rem">${validity} ${m.ignore}</p>
</div>${contactFooter(m, branding)}</div></body></html>`.value;
}
