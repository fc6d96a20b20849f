// The shopper's "delete my account" page on the storefront's host and the page after it, in the
// shopper's language. No JavaScript: two plain forms (ask for a code, then confirm with it), each
// posted to the API route, which answers a form post with 303 back here.
import { html, storefrontPage } from '../http/html.ts';
import type { Locale } from '../i18n/locales.ts';
import { messagesFor } from '../i18n/messages.ts';
import type { Tenant } from '../tenants/tenants.ts';

export const ERASURE_PAGE_PATH = '/_edge/visitor/delete';
export const ERASED_PAGE_PATH = '/_edge/visitor/deleted';

/** What the page shows: a way to sign in first, or the steps (with the code form once a code was sent). */
export type ErasurePageState =
  | { kind: 'sign-in'; signInHref: string; orderOnly: boolean }
  | { kind: 'ready'; email: string; sent: boolean; error: 'invalid_code' | 'code_attempts_exceeded' | null };

export function erasurePage({
  tenant,
  requestId,
  locale,
  state,
}: {
  tenant: Tenant;
  requestId: string;
  locale: Locale;
  state: ErasurePageState;
}): string {
  const m = messagesFor(locale).erasure;
  const explain = html`<p>${m.whatGoes}</p>
<p>${m.whatStays}</p>`;
  if (state.kind === 'sign-in') {
    return storefrontPage(
      { tenant, requestId, locale },
      {
        title: m.title(tenant.name),
        body: html`<p>${state.orderOnly ? m.orderOnly : m.signInFirst}</p>
${explain}
<p><a class="button" href="${state.signInHref}">${m.signIn}</a></p>`,
      },
    );
  }
  const email = html`<strong>${state.email}</strong>`;
  const sendCode = (label: string, secondary: boolean) =>
    html`<form method="post" action="/v2/visitor/delete/code"><button type="submit"${secondary ? html` class="secondary"` : ''}>${label}</button></form>`;
  const error = state.error === null ? null : state.error === 'code_attempts_exceeded' ? m.tooManyTries : m.wrongCode;
  const codeForm = html`<p>${m.codeSent(email)}</p>
<form method="post" action="/v2/visitor/delete">
<label for="code">${m.codeLabel}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="12" required${
    error ? html` aria-invalid="true" aria-describedby="code-error"` : ''
  }>
${error ? html`<p id="code-error" class="field-error">${error}</p>\n` : ''}<button type="submit" data-confirm-erasure>${m.confirm}</button></form>
<div class="alt">${sendCode(m.sendNewCode, true)}</div>`;
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.title(tenant.name),
      body: html`<p>${m.signedInAs(email)}</p>
${explain}
<p><a href="/v2/visitor/export" download>${m.download}</a></p>
${state.sent ? codeForm : sendCode(m.sendCode, false)}`,
    },
  );
}

export function erasedPage({
  tenant,
  requestId,
  locale,
  home,
}: {
  tenant: Tenant;
  requestId: string;
  locale: Locale;
  home: string;
}): string {
  const m = messagesFor(locale).erasure;
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.deletedTitle,
      body: html`<p>${m.deletedBody(tenant.name)}</p>
<p><a class="button" href="${home}">${m.backToShop}</a></p>`,
    },
  );
}
