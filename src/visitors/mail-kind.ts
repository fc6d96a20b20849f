// The visitors feature's mails as kinds of outbox mail: the confirmation of an added address (link
// and code) and the notice to the old address of a primary change (its "this wasn't me" link). Both
// use the sign-in mail's layout with their own words. Registered with the outbox by the app (runtime.ts).
import { DEFAULT_LOCALE, isLocale, type Locale } from '../i18n/locales.ts';
import { magicLinkMail } from '../mail/magic-link-mail.ts';
import type { MailKind } from '../mail/outbox.ts';

export const ADDRESS_MAIL = 'visitor_email';
export const CHANGE_MAIL = 'email_changed';

/** What the worker needs (sealed at rest, wiped once sent): the link and, for a confirmation, the code. */
export type AddressMailPayload = { link: string; code: string | null; locale: Locale; validForSeconds: number };

function kind(words: 'addressMail' | 'changeMail'): MailKind {
  return {
    compose(mail, sealed) {
      const payload = sealed as AddressMailPayload;
      const content = magicLinkMail({
        tenantName: mail.tenant_name,
        link: payload.link,
        code: payload.code,
        ttlSeconds: payload.validForSeconds,
        locale: isLocale(payload.locale) ? payload.locale : DEFAULT_LOCALE,
        branding: mail.tenant_branding,
        words,
      });
      // The proof's lifetime is counted from the request (address-queries.ts), not from sending.
      return { content, validForSeconds: payload.validForSeconds };
    },
  };
}

export function visitorMailKinds(): Record<string, MailKind> {
  return { [ADDRESS_MAIL]: kind('addressMail'), [CHANGE_MAIL]: kind('changeMail') };
}
