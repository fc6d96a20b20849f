// The sign-in email: multipart text + HTML, from the tenant's sender name.
import { html } from '../http/html.ts';

export function parseSender(text: string): { name: string; address: string } {
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(text);
  if (match) return { name: match[1]!.trim(), address: match[2]!.trim() };
  return { name: '', address: text.trim() };
}

/** `code` null: a link-only mail (the support console signs in by link alone). */
export function magicLinkMail(input: { tenantName: string; link: string; code: string | null; ttlMinutes: number }): {
  subject: string;
  text: string;
  html: string;
} {
  const { tenantName, link, code, ttlMinutes } = input;
  const subject = `Your sign-in link for ${tenantName}`;
  const validity =
    code === null ? `The link works once, for ${ttlMinutes} minutes.` : `The link and the code work once, for ${ttlMinutes} minutes.`;
  const text = [
    `Sign in to ${tenantName}`,
    '',
    'Open this link to sign in:',
    link,
    '',
    ...(code === null ? [] : [`Or enter this code: ${code}`, '']),
    validity,
    "If you didn't ask to sign in, you can ignore this email.",
    '',
  ].join('\n');
  const body = html`<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1d1d1f">
<div style="max-width:28rem;margin:0 auto;padding:1.5rem">
<p style="font-weight:600;color:#555">${tenantName}</p>
<h1 style="font-size:1.3rem">Sign in to ${tenantName}</h1>
<p><a href="${link}" style="display:inline-block;background:#1d1d1f;color:#fff;padding:.75rem 1.25rem;border-radius:10px;text-decoration:none;font-weight:600">Sign in</a></p>
${
  code === null
    ? ''
    : html`<p>Or enter this code: <strong style="font-size:1.2rem;letter-spacing:.15em">${code}</strong></p>
`
}<p style="color:#666;font-size:.9rem">${validity} If you didn't ask to sign in, you can ignore this email.</p>
</div></body></html>`;
  return { subject, text, html: body.value };
}
