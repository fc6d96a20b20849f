// The shopper's address pages on the storefront host (server-rendered, no script): "Your email
// addresses" (add, confirm by code, make primary, remove), the address link's confirm page and the
// "this wasn't me" page. Every change is a form post; GET never changes anything (mail scanners
// open links).
import { html, storefrontPage } from '../http/html.ts';
import type { Locale } from '../i18n/locales.ts';
import { messagesFor } from '../i18n/messages.ts';
import type { Tenant } from '../tenants/tenants.ts';
import type { AddressItem } from './addresses.ts';

/** Where the addresses page lives; its forms post to paths below it. */
export const ADDRESSES_PAGE_PATH = '/_edge/visitor/emails';

type PageBase = { tenant: Tenant; requestId: string; locale: Locale };

export function addressesPage({ tenant, requestId, locale, items, sentTo }: PageBase & { items: AddressItem[]; sentTo?: string }): string {
  const m = messagesFor(locale).addresses;
  const rows = items.map((item) => {
    const state = item.primary ? m.primary : item.verified ? m.verified : m.unverified;
    const encoded = encodeURIComponent(item.email);
    const actions = item.primary
      ? ''
      : html`${
          item.verified
            ? html`<form method="post" action="${ADDRESSES_PAGE_PATH}/primary"><input type="hidden" name="email" value="${item.email}"><button type="submit" class="secondary" data-make-primary="${encoded}">${m.makePrimary}</button></form>`
            : ''
        }<form method="post" action="${ADDRESSES_PAGE_PATH}/remove"><input type="hidden" name="email" value="${item.email}"><button type="submit" class="secondary" data-remove="${encoded}">${m.remove}</button></form>`;
    return html`<li data-address="${item.email}" data-verified="${String(item.verified)}" data-primary="${String(item.primary)}"><strong>${item.email}</strong> — ${state}${actions}</li>`;
  });
  const pending = items.filter((item) => !item.verified);
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.title,
      body: html`<p>${m.intro}</p>
<ul data-addresses>${rows}</ul>
${sentTo ? html`<p data-sent>${m.sent(html`<strong>${sentTo}</strong>`)}</p>` : ''}
${pending.map(
  (item) => html`<form method="post" action="${ADDRESSES_PAGE_PATH}/verify"><input type="hidden" name="email" value="${item.email}">
<label for="code-${encodeURIComponent(item.email)}">${m.codeLabel} (${item.email})</label><input id="code-${encodeURIComponent(item.email)}" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
<button type="submit">${m.verifyButton}</button></form>`,
)}
<form method="post" action="${ADDRESSES_PAGE_PATH}/add"><label for="new-email">${m.addLabel}</label><input id="new-email" name="email" type="email" autocomplete="email" spellcheck="false" required>
<button type="submit">${m.addButton}</button></form>`,
    },
  );
}

export function confirmAddressPage({
  tenant,
  requestId,
  locale,
  email,
  action,
  merges,
}: PageBase & { email: string; action: string; merges: boolean }): string {
  const m = messagesFor(locale).addresses;
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.confirmTitle,
      body: html`<p>${m.confirmIntro(html`<strong>${email}</strong>`, tenant.name)}</p>
${merges ? html`<p data-merge-notice><strong>${m.mergeNotice(html`<strong>${email}</strong>`)}</strong></p>` : ''}
<form method="post" action="${action}"><button type="submit">${m.confirmButton}</button></form>`,
    },
  );
}

export function addressConfirmedPage({ tenant, requestId, locale }: PageBase): string {
  const m = messagesFor(locale).addresses;
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.confirmed,
      body: html`<p data-confirmed>${m.confirmedText}</p><p><a class="button" href="${tenant.origins[0] ?? ''}/">${tenant.name}</a></p>`,
    },
  );
}

export function revertPage({
  tenant,
  requestId,
  locale,
  oldEmail,
  newEmail,
  action,
}: PageBase & { oldEmail: string; newEmail: string; action: string }): string {
  const m = messagesFor(locale).addresses;
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.revertTitle,
      body: html`<p>${m.revertIntro(html`<strong>${oldEmail}</strong>`, html`<strong>${newEmail}</strong>`)}</p>
<form method="post" action="${action}"><button type="submit">${m.revertButton}</button></form>`,
    },
  );
}

export function revertedPage({ tenant, requestId, locale }: PageBase): string {
  const m = messagesFor(locale).addresses;
  return storefrontPage({ tenant, requestId, locale }, { title: m.reverted, body: html`<p data-reverted>${m.revertedText}</p>` });
}
