// The passkey parts of the hosted pages: the sign-in page's box (hidden until the script finds
// WebAuthn) and the offer after an email sign-in ("Sign in faster next time"). Both load the one
// passkey script from our origin; their words ride on data attributes for it, in the page's language.
import { html, type Html, storefrontPage } from '../http/html.ts';
import type { Locale } from '../i18n/locales.ts';
import { messagesFor } from '../i18n/messages.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { PASSKEY_SCRIPT_PATH } from './passkey-script.ts';

/** Where the offer page is; `returnTo` is where the shopper goes on from it. */
export function passkeyOfferPath(returnTo: string): string {
  return `/_edge/visitor/passkeys/new?returnTo=${encodeURIComponent(returnTo)}`;
}

/** The sign-in page's passkey box (the page's email field carries `autocomplete="username webauthn"` with it). */
export function passkeySignInBox(locale: Locale, returnTo: string): Html {
  const m = messagesFor(locale).passkeys;
  return html`<div class="alt" data-passkey-signin hidden data-return-to="${returnTo}" data-working="${m.working}" data-failed="${m.signInFailed}">
<p>${m.signInIntro}</p><button type="button" class="secondary" data-passkey-button>${m.signInButton}</button>
<p data-passkey-status></p></div>
<script src="${PASSKEY_SCRIPT_PATH}" defer></script>`;
}

export function passkeyOfferPage({
  tenant,
  requestId,
  locale,
  returnTo,
}: {
  tenant: Tenant;
  requestId: string;
  locale: Locale;
  returnTo: string;
}): string {
  const m = messagesFor(locale).passkeys;
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.offerTitle,
      body: html`<p>${m.offerIntro}</p>
<div data-passkey-offer hidden data-return-to="${returnTo}" data-working="${m.working}" data-done="${m.offerDone}" data-failed="${m.offerFailed}">
<p><button type="button" data-passkey-button>${m.offerButton}</button></p>
<p data-passkey-status></p></div>
<p><a class="button secondary" href="${returnTo}" data-passkey-later>${m.notNow}</a></p>
<script src="${PASSKEY_SCRIPT_PATH}" defer></script>`,
    },
  );
}
