// The mail with the code that confirms a shopper's own erasure, as a kind of outbox mail
// (registered by the app in runtime.ts). Text + HTML, in the language of the page that asked;
// the code is only in the sealed payload until the mail goes out.
import { html } from '../http/html.ts';
import { DEFAULT_LOCALE, isLocale } from '../i18n/locales.ts';
import { messagesFor } from '../i18n/messages.ts';
import type { MailKind } from '../mail/outbox.ts';
import type { ErasureCodePayload } from './erasure-codes.ts';

export function erasureCodeMail(input: { tenantName: string; code: string; locale: unknown }): {
  subject: string;
  text: string;
  html: string;
} {
  const locale = isLocale(input.locale) ? input.locale : DEFAULT_LOCALE;
  const m = messagesFor(locale).erasure;
  const { tenantName, code } = input;
  const text = [m.mailIntro(tenantName), '', code, '', m.mailValidity, m.mailIgnore, ''].join('\n');
  const body = html`<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${m.mailSubject(tenantName)}</title></head>
<body style="margin:0;padding:0;background:#f6f5f2;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f">
<div style="max-width:30rem;margin:0 auto;padding:1.25rem .875rem 2rem">
<p style="margin:0 0 .875rem;font-weight:700;overflow-wrap:anywhere">${tenantName}</p>
<div style="background:#fff;border:1px solid #e2dfd8;border-radius:16px;padding:1.5rem 1.25rem">
<p style="margin:0 0 1rem">${m.mailIntro(tenantName)}</p>
<p data-code style="margin:0 0 1.25rem;font:700 2rem/1.2 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;letter-spacing:.2em;background:#f0eee9;border-radius:10px;padding:.75rem;text-align:center">${code}</p>
<p style="margin:0;color:#555;font-size:.9rem">${m.mailValidity} ${m.mailIgnore}</p>
</div></div></body></html>`.value;
  return { subject: m.mailSubject(tenantName), text, html: body };
}

export function erasureCodeMailKind(): MailKind {
  return {
    compose(mail, sealed) {
      const payload = sealed as ErasureCodePayload;
      return {
        content: erasureCodeMail({ tenantName: mail.tenant_name, code: payload.code, locale: payload.locale }),
        validForSeconds: payload.ttlSeconds,
      };
    },
  };
}
