// Hosted pages of the sign-in flow: tenant-branded, mobile-first, no JavaScript needed (the
// check-email page's one script only saves a reload), in the shopper's language (src/i18n/). Every error page offers the next step: the form again with the
// error beside its field, a fresh email, or a way that works in this browser's situation.
import { type Html, html, readableTime, storefrontPage } from '../http/html.ts';
import type { Locale } from '../i18n/locales.ts';
import { messagesFor } from '../i18n/messages.ts';
import type { Tenant } from '../tenants/tenants.ts';

type PageBase = { tenant: Tenant; requestId: string; locale: Locale };

/** A form field's error, shown beside it (and the catalogue code in the page's footer, for support). */
export type FieldError = { field: 'email' | 'code'; message: string; code: string };

/** The hosted sign-in page, keeping where the shopper was going (the address is kept by the pending cookie, never the URL). */
export function signInHref(returnTo?: string): string {
  return returnTo ? `/_edge/visitor/sign-in?returnTo=${encodeURIComponent(returnTo)}` : '/_edge/visitor/sign-in';
}

/** Where a shopper types the code (with their address) in a browser that has no pending sign-in. */
export const CODE_PAGE_PATH = '/_edge/visitor/check-email';

/** An input's error attributes and the message after it, tied by id (aria-describedby). */
function fieldState(id: string, error: FieldError | undefined, field: FieldError['field']): { attrs: Html; message: Html } {
  if (error?.field !== field) return { attrs: html``, message: html`` };
  return {
    attrs: html` aria-invalid="true" aria-describedby="${id}-error"`,
    message: html`<p id="${id}-error" class="field-error">${error.message}</p>
`,
  };
}

/**
 * The link page's choice beside "Continue here": sign in on the screen that asked instead, by
 * picking the number it shows (three buttons, each a form posting `match`).
 */
export type OtherScreenChoice = { numbers: number[] };

function otherScreenForms(locale: Locale, action: string, choice: OtherScreenChoice): Html {
  const m = messagesFor(locale).otherScreen;
  return html`<section class="other-screen" aria-labelledby="other-screen-title"><h2 id="other-screen-title">${m.title}</h2>
<p>${m.intro}</p>
<div class="choices">${choice.numbers.map(
    (n) =>
      html`<form method="post" action="${action}"><input type="hidden" name="match" value="${String(n)}"><button type="submit" class="number-choice" aria-label="${m.pick(String(n))}" data-match="${String(n)}">${String(n)}</button></form>`,
  )}</div></section>`;
}

/**
 * The link page. With `choice` it also offers to sign in the screen that asked (by its number);
 * `inApp`: opened in an app's built-in browser, where a session stays trapped — the advice to
 * use the browser and the number choice come first, "Continue" in the app last.
 */
export function confirmPage({
  tenant,
  requestId,
  locale,
  action,
  choice,
  inApp,
  code,
  passkeyScript,
}: PageBase & {
  action: string;
  choice?: OtherScreenChoice;
  inApp?: boolean;
  code?: string;
  /** The passkey script: it notes whether this browser can make a passkey, so signing in here can offer one. */
  passkeyScript?: string;
}): string {
  const messages = messagesFor(locale);
  const m = messages.confirm;
  const here = (label: string, secondary: boolean) =>
    html`<form method="post" action="${action}"><button type="submit"${secondary ? html` class="secondary"` : ''}>${label}</button></form>`;
  const body = inApp
    ? html`<p data-in-app>${choice ? messages.inApp.advice : messages.inApp.adviceWithoutChoice}</p>
${choice ? otherScreenForms(locale, action, choice) : ''}
<div class="alt">${here(messages.inApp.continueInApp, true)}</div>`
    : choice
      ? html`<p>${m.intro}</p>
${here(messages.otherScreen.continueHere, false)}
<div class="alt">${otherScreenForms(locale, action, choice)}</div>`
      : html`<p>${m.intro}</p>
${here(m.button, false)}`;
  const script = passkeyScript ? html`\n<script src="${passkeyScript}" defer></script>` : '';
  return storefrontPage({ tenant, requestId, locale }, { title: m.title(tenant.name), code, body: html`${body}${script}` });
}

/** The right number was picked here: the other screen signs in; nothing was signed in on this device. */
export function approvedElsewherePage({ tenant, requestId, locale }: PageBase): string {
  const m = messagesFor(locale).approvedElsewhere;
  return storefrontPage({ tenant, requestId, locale }, { title: m.title, body: html`<p data-approved>${m.body}</p>` });
}

/** A wrong number was picked here: the sign-in stopped, the link is used up (409 number_mismatch). */
export function numberMismatchPage({ tenant, requestId, locale, returnTo }: PageBase & { returnTo: string }): string {
  const m = messagesFor(locale).numberMismatch;
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.title,
      code: 'number_mismatch',
      body: html`<p>${m.body}</p>
<p><a class="button" href="${signInHref(returnTo)}">${m.newEmail}</a></p>`,
    },
  );
}

/** A number was picked, but the other screen no longer waits (410 pending_expired): this link still works here. */
export function pendingEndedPage({ tenant, requestId, locale, action }: PageBase & { action: string }): string {
  const m = messagesFor(locale);
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.pendingEnded.title,
      code: 'pending_expired',
      body: html`<p>${m.pendingEnded.body}</p>
<form method="post" action="${action}"><button type="submit">${m.otherScreen.continueHere}</button></form>`,
    },
  );
}

/**
 * This browser drops our cookie, so no form of ours can sign it in — not the link's, not the
 * code's. The way forward is what works in this situation: allow cookies here (then "Try again"
 * re-presents the unused link), or another browser or device, with the same link or the code typed
 * at the code page's address (shown as text: a link would only lead this browser back here).
 * `action`: the link to press again; without it (the code form) the code stays usable elsewhere.
 */
export function cookieBlockedPage({
  tenant,
  requestId,
  locale,
  action,
  codePageUrl,
}: PageBase & { action?: string; codePageUrl: string }): string {
  const m = messagesFor(locale).cookieBlocked;
  const not = html`<strong>${m.not}</strong>`;
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.title,
      code: 'cookie_blocked',
      body: html`<p>${action ? m.linkNotUsed(not) : m.codeNotUsed(not)}</p>
<p>${m.choose}</p>
<ul><li>${action ? m.allowThenRetry : m.allowThenReopen}</li>
<li>${m.elsewhere(tenant.name, html`<code data-code-page>${codePageUrl}</code>`)}</li></ul>
${action ? html`<form method="post" action="${action}"><button type="submit">${m.tryAgain}</button></form>` : ''}
<p><a href="/_edge/visitor/diagnostics">${m.diagnostics}</a></p>`,
    },
  );
}

/**
 * A link's expired page offers its reissue (same address, same returnTo, by the token); a code's,
 * a fresh email to the address the form was given.
 */
export function expiredPage({
  tenant,
  requestId,
  locale,
  expiredAt,
  now,
  reissue,
}: PageBase & {
  expiredAt: Date;
  now: Date;
  reissue: { what: 'link'; action: string } | { what: 'code'; email: string; returnTo?: string };
}): string {
  const m = messagesFor(locale).expired;
  const when = readableTime(expiredAt, now, locale);
  const again =
    reissue.what === 'link'
      ? html`<form method="post" action="${reissue.action}"><button type="submit">${m.freshLink}</button></form>`
      : freshEmailForm(reissue.email, reissue.returnTo, m.freshCode);
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: reissue.what === 'link' ? m.linkTitle : m.codeTitle,
      code: 'expired_magic_link',
      body: html`<p>${reissue.what === 'link' ? m.link(when) : m.code(when)}
${m.sendToSame}</p>
${again}`,
    },
  );
}

/** A button that asks for a new sign-in email to `email` (a new link and code), back to the same place. */
function freshEmailForm(email: string, returnTo: string | undefined, label: string, className?: string): Html {
  return html`<form method="post" action="/v2/visitor/auth/magic-link"><input type="hidden" name="email" value="${email}">
${returnTo ? html`<input type="hidden" name="returnTo" value="${returnTo}">` : ''}<button type="submit"${className ? html` class="${className}"` : ''}>${label}</button></form>`;
}

/**
 * One "already used" page for a link and for a code: the same heading and the same way forward
 * (a new sign-in email, the address kept by the pending cookie when this browser has it).
 */
export function usedPage({
  tenant,
  requestId,
  locale,
  usedAt,
  now,
  what,
  returnTo,
}: PageBase & { usedAt: Date; now: Date; what: 'link' | 'code'; returnTo?: string }): string {
  const m = messagesFor(locale).used;
  const when = readableTime(usedAt, now, locale);
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.title,
      code: 'used_magic_link',
      body: html`<p>${what === 'link' ? m.link(when) : m.code(when)}</p>
<p><a class="button" href="${signInHref(returnTo)}">${m.newEmail}</a></p>`,
    },
  );
}

/**
 * `email`: the address this browser asked with before (from the pending cookie) or just typed, to
 * correct or reuse. `error`: the typed address was refused (beside the field); `notice`: the
 * destination was refused and replaced by the shop's home page (said above the form).
 */
export function signInPage({
  tenant,
  requestId,
  locale,
  returnTo,
  email,
  error,
  notice,
  passkeys,
}: PageBase & {
  returnTo: string;
  email?: string;
  error?: FieldError;
  notice?: { message: string; code: string };
  /** The passkey box (passkeys/pages.ts): the email field then also offers passkeys in its autofill. */
  passkeys?: Html;
}): string {
  const m = messagesFor(locale).signIn;
  const state = fieldState('email', error, 'email');
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.title(tenant.name),
      code: error?.code ?? notice?.code,
      body: html`${notice ? html`<p role="alert">${notice.message}</p>\n` : ''}<p>${m.intro}</p>
<form method="post" action="/v2/visitor/auth/magic-link">
<label for="email">${m.emailLabel}</label><input id="email" name="email" type="email" autocomplete="${passkeys ? 'username webauthn' : 'email'}" spellcheck="false" placeholder="you@example.com"${email ? html` value="${email}"` : ''}${state.attrs} required>
${state.message}<input type="hidden" name="returnTo" value="${returnTo}"><button type="submit">${m.submit}</button></form>${passkeys ?? ''}`,
    },
  );
}

/**
 * The check-email page, which holds the code form. With `error` it is that form answered: the
 * error beside its field, the typed address kept (`email`, when this browser has no pending
 * sign-in), the code never echoed back, and a button for a new code when the address is known.
 */
/**
 * This browser's pending sign-in on the check-email page: the number to pick on the other device
 * while it waits (`script`: where the page's one script is, which finishes the sign-in without a
 * reload; without JavaScript the "continue" link reloads the page), or why it stopped.
 */
export type WaitingBox = { state: 'waiting'; number: number; script: string } | { state: 'rejected' | 'ended' };

function waitingBox(locale: Locale, box: WaitingBox, email: string, returnTo: string): Html {
  const m = messagesFor(locale).pending;
  if (box.state !== 'waiting') {
    return html`<div class="pending" data-pending data-state="${box.state}"><p role="alert">${box.state === 'rejected' ? m.rejected : m.ended}</p>
${freshEmailForm(email, returnTo, m.newEmail)}</div>`;
  }
  return html`<div class="pending" data-pending data-state="waiting" data-signed-in="${m.signedIn}" data-rejected="${m.rejected}" data-ended="${m.ended}">
<p class="pick">${m.pick(html`<strong class="number" data-pending-number>${String(box.number)}</strong>`)}</p>
<p role="status" data-pending-status>${m.howTo}</p>
<p data-pending-waiting><a class="button secondary" href="${CODE_PAGE_PATH}">${m.checkAgain}</a></p>
<p data-pending-again hidden><a class="button" href="${signInHref(returnTo)}">${m.newEmail}</a></p></div>
<script src="${box.script}" defer></script>`;
}

export function checkEmailPage({
  tenant,
  requestId,
  locale,
  pending,
  email,
  error,
  waiting,
}: PageBase & { pending: { email: string; returnTo: string } | null; email?: string; error?: FieldError; waiting?: WaitingBox }): string {
  const m = messagesFor(locale).checkEmail;
  const emailState = fieldState('code-email', error, 'email');
  const codeState = fieldState('code', error, 'code');
  const known = pending?.email ?? (error?.field === 'code' ? email : undefined);
  return storefrontPage(
    { tenant, requestId, locale },
    {
      title: m.title,
      code: error?.code, // The full address, not masked: a typo is what the shopper needs to see here.
      body: html`${
        pending
          ? html`<p>${m.sentTo(html`<strong>${pending.email}</strong>`)}</p>
<p class="nowrap">${m.notYou} <a href="${signInHref(pending.returnTo)}">${m.changeIt}</a></p>
${waiting ? waitingBox(locale, waiting, pending.email, pending.returnTo) : ''}`
          : html`<p>${m.onItsWay}</p>`
      }
<p>${m.otherDevice(html`<span class="nowrap">${m.sixDigit}</span>`)}</p>
<form method="post" action="/v2/visitor/auth/verify">
${
  pending
    ? ''
    : html`<label for="code-email">${m.emailLabel}</label><input id="code-email" name="email" type="email" autocomplete="email" spellcheck="false"${email ? html` value="${email}"` : ''}${emailState.attrs} required>
${emailState.message}`
}<label for="code">${m.codeLabel}</label><input id="code" class="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"${codeState.attrs} required>
${codeState.message}<button type="submit">${m.submit}</button></form>
${error?.field === 'code' && known ? freshEmailForm(known, pending?.returnTo, m.sendNewCode, 'secondary') : ''}
<div class="alt"><p>${pending ? m.didntGetOrResend : m.didntGet}</p>
${pending && !error ? freshEmailForm(pending.email, pending.returnTo, m.sendAgain, 'secondary') : ''}
<p><a href="${signInHref(pending?.returnTo)}">${pending ? m.useDifferentEmail : m.askNewLink}</a></p></div>`,
    },
  );
}
