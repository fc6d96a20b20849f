// The sign-in email: multipart text + HTML, from the tenant's sender name. The HTML part is a
// phone-first email: one column, inline styles only, no scripts and no external assets; every
// value from the tenant is escaped by the `html` tag.
import { html, supportContactHref, type Html, type PageBranding } from '../http/html.ts';

export function parseSender(text: string): { name: string; address: string } {
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(text);
  if (match) return { name: match[1]!.trim(), address: match[2]!.trim() };
  return { name: '', address: text.trim() };
}

const PLURALS = new Intl.PluralRules('en');
const UNITS = { second: ['second', 'seconds'], minute: ['minute', 'minutes'], hour: ['hour', 'hours'] } as const;

function count(amount: number, unit: keyof typeof UNITS): string {
  const [one, other] = UNITS[unit];
  return `${amount} ${PLURALS.select(amount) === 'one' ? one : other}`;
}

/**
 * A lifetime in words, rounded down so the mail never promises more time than the link has:
 * seconds below a minute, minutes below two hours ("90 minutes" reads better than "1 hour"), hours above.
 */
export function humanDuration(seconds: number): string {
  const whole = Math.max(1, Math.floor(seconds));
  if (whole < 60) return count(whole, 'second');
  if (whole < 120 * 60) return count(Math.floor(whole / 60), 'minute');
  return count(Math.floor(whole / 3600), 'hour');
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
}): {
  subject: string;
  text: string;
  html: string;
} {
  const { tenantName, link, code } = input;
  const duration = humanDuration(input.ttlSeconds);
  const subject = `Your sign-in link for ${tenantName}`;
  const validity = code === null ? `The link works once, for ${duration}.` : `The link and the code work once, for ${duration}.`;
  // The preheader is the line a mail list shows after the subject.
  const preheader =
    code === null
      ? `Your sign-in link for ${tenantName}, valid ${duration}.`
      : `Your sign-in link and code for ${tenantName}, valid ${duration}.`;
  return {
    subject,
    text: plainText({ tenantName, link, code, validity, branding: input.branding }),
    html: htmlPart({ tenantName, link, code, validity, preheader, branding: input.branding }),
  };
}

type Parts = { tenantName: string; link: string; code: string | null; validity: string; branding?: MailBranding | null };

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
function contactFooter(branding?: MailBranding | null): Html | '' {
  const contact = branding?.supportContact;
  if (!contact) return '';
  const color = branding?.accentColor && HEX_COLOR.test(branding.accentColor) ? branding.accentColor : '#0b57d0';
  return html`<p data-support-contact style="margin:1rem .25rem 0;color:#555;font-size:.9rem">Need help? Contact <a href="${supportContactHref(contact)}" style="color:${color};overflow-wrap:anywhere">${contact}</a>.</p>`;
}

function plainText({ tenantName, link, code, validity, branding }: Parts): string {
  return [
    `Sign in to ${tenantName}`,
    '',
    'Open this link to sign in:',
    link,
    '',
    ...(code === null ? [] : [`Or enter this code: ${code}`, '']),
    validity,
    "If you didn't ask to sign in, you can ignore this email.",
    ...(branding?.supportContact ? ['', `Need help? Contact ${branding.supportContact}`] : []),
    '',
  ].join('\n');
}

function htmlPart({ tenantName, link, code, validity, preheader, branding }: Parts & { preheader: string }): string {
  // Hidden in every client yet still read as the preview line; the trailing spacers keep the
  // client from filling the preview with the body's first words.
  const hidden = 'display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;mso-hide:all;font-size:1px;line-height:1px;color:#fff';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light"><meta name="x-apple-disable-message-reformatting"><title>Sign in to ${tenantName}</title></head>
<body style="margin:0;padding:0;background:#f6f5f2;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f;-webkit-text-size-adjust:100%;text-size-adjust:100%">
<div data-preheader style="${hidden}">${preheader}${'\u00a0\u200c'.repeat(40)}</div>
<div style="max-width:30rem;margin:0 auto;padding:1.25rem .875rem 2rem;box-sizing:border-box">
${mailHeader(tenantName, branding)}
<div style="background:#fff;border:1px solid #e2dfd8;border-radius:16px;padding:1.5rem 1.25rem">
<h1 style="font-size:1.4rem;line-height:1.25;margin:0 0 1rem;overflow-wrap:anywhere">Sign in to ${tenantName}</h1>
<p style="margin:0 0 1.25rem"><a data-button href="${link}" style="display:block;text-align:center;background:${buttonColor(branding)};color:#fff;padding:.75rem 1rem;border-radius:10px;text-decoration:none;font-weight:600">Sign in</a></p>
<p style="margin:0 0 .375rem;color:#4a4a4a;font-size:.9rem">If the button does not work, copy this link into your browser:</p>
<p style="margin:0 0 1.25rem;font-size:.85rem"><a data-copy-link href="${link}" style="color:#0b57d0;word-break:break-all;overflow-wrap:anywhere">${link}</a></p>
${
  code === null
    ? ''
    : html`<p style="margin:0 0 .375rem">Or enter this code:</p>
<p data-code style="margin:0 0 1.25rem;font:700 2rem/1.2 ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace;letter-spacing:.2em;background:#f0eee9;border-radius:10px;padding:.75rem;text-align:center">${code}</p>
`
}<p style="margin:0;color:#555;font-size:.9rem">${validity} If you didn't ask to sign in, you can ignore this email.</p>
</div>${contactFooter(branding)}</div></body></html>`.value;
}
