// Hosted pages of the sign-in flow: tenant-branded, mobile-first, no JavaScript needed.
import { html, page, readableTime } from '../http/html.ts';
import type { Tenant } from '../tenants/tenants.ts';

type PageBase = { tenant: Tenant; requestId: string };

/** The hosted sign-in page, keeping where the shopper was going (the address is kept by the pending cookie, never the URL). */
export function signInHref(returnTo?: string): string {
  return returnTo ? `/_edge/visitor/sign-in?returnTo=${encodeURIComponent(returnTo)}` : '/_edge/visitor/sign-in';
}

export function confirmPage({ tenant, requestId, action }: PageBase & { action: string }): string {
  return page({
    brand: tenant.name,
    branding: tenant,
    title: `Sign in to ${tenant.name}`,
    requestId,
    body: html`<p>Press the button to finish signing in on this device.</p>
<form method="post" action="${action}"><button type="submit">Continue</button></form>`,
  });
}

/** `action`: the link to press again; without it (the code form) the code stays usable elsewhere. */
export function cookieBlockedPage({ tenant, requestId, action }: PageBase & { action?: string }): string {
  const what = action ? 'Your link has' : 'Your code has';
  return page({
    brand: tenant.name,
    branding: tenant,
    title: 'Your browser blocked our sign-in cookie',
    code: 'cookie_blocked',
    requestId,
    body: html`<p>Signing in needs one first-party cookie on this site. ${what} <strong>not</strong> been used, so you can try again.</p>
<ul><li>Allow cookies for this site in your browser's privacy settings (or leave private browsing), then try again.</li>
<li>Or type the <span class="nowrap">6-digit</span> code from the same email in a browser that keeps cookies.</li></ul>
${action ? html`<form method="post" action="${action}"><button type="submit">Try again</button></form>` : ''}
<p><a href="/_edge/visitor/check-email">Enter the code instead</a></p>`,
  });
}

/**
 * A link's expired page offers its reissue (same address, same returnTo, by the token); a code's,
 * a fresh email to the address the form was given.
 */
export function expiredPage({
  tenant,
  requestId,
  expiredAt,
  now,
  reissue,
}: PageBase & {
  expiredAt: Date;
  now: Date;
  reissue: { what: 'link'; action: string } | { what: 'code'; email: string; returnTo?: string };
}): string {
  const what = reissue.what;
  const again =
    reissue.what === 'link'
      ? html`<form method="post" action="${reissue.action}"><button type="submit">Send me a fresh link</button></form>`
      : html`<form method="post" action="/v2/visitor/auth/magic-link"><input type="hidden" name="email" value="${reissue.email}">
${reissue.returnTo ? html`<input type="hidden" name="returnTo" value="${reissue.returnTo}">` : ''}<button type="submit">Send me a fresh code</button></form>`;
  return page({
    brand: tenant.name,
    branding: tenant,
    title: what === 'link' ? 'This sign-in link has expired' : 'This code has expired',
    code: 'expired_magic_link',
    requestId,
    body: html`<p>${what === 'link' ? 'Sign-in links' : 'Codes'} work for a short time after they are sent; this one expired ${readableTime(expiredAt, now)}.
We can send a fresh one to the same address.</p>
${again}`,
  });
}

/**
 * One "already used" page for a link and for a code: the same heading and the same way forward
 * (a new sign-in email, the address kept by the pending cookie when this browser has it).
 */
export function usedPage({
  tenant,
  requestId,
  usedAt,
  now,
  what,
  returnTo,
}: PageBase & { usedAt: Date; now: Date; what: 'link' | 'code'; returnTo?: string }): string {
  return page({
    brand: tenant.name,
    branding: tenant,
    title: 'This sign-in was already used',
    code: 'used_magic_link',
    requestId,
    body: html`<p>This ${what} was used ${readableTime(usedAt, now)}. Each ${what} works once, so that a forwarded email or a screenshot cannot sign anyone else in.</p>
<p><a class="button" href="${signInHref(returnTo)}">Send me a new sign-in email</a></p>`,
  });
}

/** `email`: the address this browser asked with before (from the pending cookie), to correct or reuse. */
export function signInPage({ tenant, requestId, returnTo, email }: PageBase & { returnTo: string; email?: string }): string {
  return page({
    brand: tenant.name,
    branding: tenant,
    title: `Sign in to ${tenant.name}`,
    requestId,
    body: html`<p>Enter the email you used at checkout. We'll send you a link and a code — no password needed.</p>
<form method="post" action="/v2/visitor/auth/magic-link">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" spellcheck="false" placeholder="you@example.com"${email ? html` value="${email}"` : ''} required>
<input type="hidden" name="returnTo" value="${returnTo}"><button type="submit">Email me a sign-in link</button></form>`,
  });
}

export function checkEmailPage({ tenant, requestId, pending }: PageBase & { pending: { email: string; returnTo: string } | null }): string {
  return page({
    brand: tenant.name,
    branding: tenant,
    title: 'Check your email',
    requestId,
    // The full address, not masked: a typo is what the shopper needs to see here.
    body: html`${
      pending
        ? html`<p>We sent a sign-in link to <strong>${pending.email}</strong>.</p>
<p class="nowrap">Not you? <a href="${signInHref(pending.returnTo)}">Change it</a></p>`
        : html`<p>If you asked for a sign-in link, it is on its way.</p>`
    }
<p>Reading mail on another device? Enter the <span class="nowrap">6-digit</span> code from the email here.</p>
<form method="post" action="/v2/visitor/auth/verify">
${
  pending
    ? ''
    : html`<label for="code-email">Email</label><input id="code-email" name="email" type="email" autocomplete="email" spellcheck="false" required>
`
}<label for="code">6-digit code</label><input id="code" class="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
<button type="submit">Sign in</button></form>
<div class="alt"><p>Didn't get it? Check your spam folder${pending ? ', or send it again' : ''}.</p>
${
  pending
    ? html`<form method="post" action="/v2/visitor/auth/magic-link"><input type="hidden" name="email" value="${pending.email}">
<input type="hidden" name="returnTo" value="${pending.returnTo}"><button type="submit" class="secondary">Send it again</button></form>`
    : ''
}
<p><a href="/_edge/visitor/sign-in">${pending ? 'Use a different email' : 'Ask for a new link'}</a></p></div>`,
  });
}
