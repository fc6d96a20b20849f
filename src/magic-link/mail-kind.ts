// The sign-in mail as a kind of outbox mail: how a `magic_link` row becomes a message (the
// link and code from its sealed payload), and what SMTP's acceptance starts — the link's validity
// and the `magic_link.sent` webhook.
// Registered with the outbox by the app (runtime.ts), so mail/ never imports this feature.
import { DEFAULT_LOCALE, isLocale } from '../i18n/locales.ts';
import { magicLinkMail } from '../mail/magic-link-mail.ts';
import type { MailKind } from '../mail/outbox.ts';
import { VISITOR_LINK_PATH, type MagicLinkPayload } from './magic-link.ts';
import { LINKS_SENT_WEBHOOK, LINKS_STARTED } from './queries.ts';

export const MAGIC_LINK_MAIL = 'magic_link';

/** `defaultLinkTtlSeconds`: MAGIC_LINK_TTL, for tenants without their own. */
export function magicLinkMailKind(defaultLinkTtlSeconds: number): MailKind {
  return {
    compose(mail, sealed) {
      const payload = sealed as MagicLinkPayload;
      const ttlSeconds = mail.link_ttl_seconds ?? defaultLinkTtlSeconds;
      const content = magicLinkMail({
        tenantName: mail.tenant_name,
        link: `${payload.linkOrigin}${payload.linkPath ?? VISITOR_LINK_PATH}${payload.token}`,
        code: payload.code,
        ttlSeconds,
        // Mail queued before locales existed carries none: English, as it was written then.
        locale: isLocale(payload.locale) ? payload.locale : DEFAULT_LOCALE,
        branding: mail.tenant_branding,
      });
      return { content, validForSeconds: ttlSeconds };
    },
    onAccepted: [LINKS_STARTED, LINKS_SENT_WEBHOOK],
  };
}

/** The kinds of mail the service sends, by `mail_outbox.kind`. */
export function mailKinds(defaultLinkTtlSeconds: number): Record<string, MailKind> {
  return { [MAGIC_LINK_MAIL]: magicLinkMailKind(defaultLinkTtlSeconds) };
}
