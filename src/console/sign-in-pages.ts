// The console's sign-in pages: the email form, "check your email", the link's confirm page (a GET
// never signs in: mail scanners prefetch links) and what a bad link or a blocked cookie shows.
import { html, readableTime, type Html } from '../http/html.ts';
import { humanDuration } from '../mail/magic-link-mail.ts';
import { consolePage, hidden } from './layout.ts';

type Base = { requestId: string };

function narrow(body: Html, extraClass = ''): Html {
  return html`<section class="${`card narrow ${extraClass}`.trim()}">${body}</section>`;
}

export type SignInNotice = 'signed-out' | 'idle' | 'absolute' | 'signed-in-elsewhere' | null;

/** `lifetimes`: CONSOLE_IDLE_TIMEOUT and CONSOLE_SESSION_TTL, as the notices name them. */
function noticeText(notice: Exclude<SignInNotice, null>, lifetimes: { idleSeconds: number; sessionSeconds: number }): string {
  switch (notice) {
    case 'signed-out':
      return 'You signed out.';
    case 'idle':
      return `Your console session ended after ${humanDuration(lifetimes.idleSeconds)} without activity. Sign in again to continue.`;
    case 'absolute':
      return `Console sessions last ${humanDuration(lifetimes.sessionSeconds)}. Sign in again to continue.`;
    case 'signed-in-elsewhere':
      return 'Sign in to continue.';
  }
}

export function signInPage(
  input: Base & {
    csrf: string;
    notice?: SignInNotice;
    email?: string;
    error?: string;
    lifetimes?: { idleSeconds: number; sessionSeconds: number };
  },
): string {
  const lifetimes = input.lifetimes ?? { idleSeconds: 1800, sessionSeconds: 43_200 };
  const notice = input.notice
    ? html`<div class="${input.notice === 'signed-out' ? 'flash' : 'flash warn'}" role="status"><p>${noticeText(input.notice, lifetimes)}</p></div>`
    : '';
  const error = input.error ? html`<div class="flash warn" role="alert"><p>${input.error}</p></div>` : '';
  return consolePage({
    title: 'Sign in',
    requestId: input.requestId,
    narrow: true,
    body: narrow(html`${notice}<h1>Sign in to the support console</h1>
<p class="sub">For operators of Visitor Access. We email you a sign-in link.</p>${error}
<form method="post" action="/console/sign-in">${hidden({ csrf: input.csrf })}
<div class="field"><label for="email">Work email</label>
<input id="email" name="email" type="email" autocomplete="email" inputmode="email" required value="${input.email ?? ''}"></div>
<button type="submit">Email me a sign-in link</button></form>`),
  });
}

export function checkEmailPage(input: Base & { validity: string }): string {
  return consolePage({
    title: 'Check your email',
    requestId: input.requestId,
    narrow: true,
    body: narrow(html`<h1>Check your email</h1>
<p>If this address belongs to a console operator, a sign-in link is on its way. It works once, for ${input.validity}.</p>
<p class="muted">Open it in this browser. Nothing arrived? Check the spam folder, or ask an admin whether you are an operator (<code>bun run cli operator list</code>).</p>
<p><a href="/console/sign-in">Use another address</a></p>`),
  });
}

export function confirmPage(input: Base & { action: string; csrf: string }): string {
  return consolePage({
    title: 'Sign in',
    requestId: input.requestId,
    narrow: true,
    body: narrow(html`<h1>Sign in to the support console</h1>
<p>Press the button to finish signing in on this device.</p>
<form method="post" action="${input.action}">${hidden({ csrf: input.csrf })}<button type="submit">Continue</button></form>`),
  });
}

export function cookieBlockedPage(input: Base & { action: string; csrf: string }): string {
  return consolePage({
    title: 'Cookies are blocked',
    requestId: input.requestId,
    code: 'cookie_blocked',
    narrow: true,
    body: narrow(
      html`<h1>Your browser blocked the console's cookie</h1>
<p>The console needs one first-party cookie on this site. Your link has <strong>not</strong> been used: allow cookies for this site, then try again.</p>
<form method="post" action="${input.action}">${hidden({ csrf: input.csrf })}<button type="submit">Try again</button></form>`,
      'error-card',
    ),
  });
}

/** `at`: when the link expired or was used, told in words relative to `now` (never milliseconds). */
export type LinkProblem = { code: 'expired_magic_link' | 'used_magic_link' | 'invalid_magic_link'; at?: { at: Date; now: Date } };

export function linkProblemPage(input: Base & LinkProblem): string {
  const title =
    input.code === 'expired_magic_link'
      ? 'This sign-in link has expired'
      : input.code === 'used_magic_link'
        ? 'This sign-in link was already used'
        : 'This sign-in link is not valid';
  const detail =
    input.code === 'expired_magic_link'
      ? html`<p>Console links work for a short time after they are sent${input.at ? html` (this one expired ${readableTime(input.at.at, input.at.now)})` : ''}. Ask for a new one.</p>`
      : input.code === 'used_magic_link'
        ? html`<p>Links work once${input.at ? html`; this one was used ${readableTime(input.at.at, input.at.now)}` : ''}. Ask for a new one to sign in again.</p>`
        : html`<p>The link is incomplete, was changed, or does not belong to the console. Ask for a new one.</p>`;
  return consolePage({
    title,
    requestId: input.requestId,
    code: input.code,
    narrow: true,
    body: narrow(html`<h1>${title}</h1>${detail}<p><a class="btn" href="/console/sign-in">Send me a new link</a></p>`, 'error-card'),
  });
}

/** A link from elsewhere to a console page: reload it from here, so the session cookie comes along. */
export function reopenPage(input: Base & { path: string }): string {
  return consolePage({
    title: 'Opening the console',
    requestId: input.requestId,
    narrow: true,
    refreshTo: input.path,
    body: narrow(html`<h1>Opening the console…</h1><p><a href="${input.path}">Continue</a></p>`),
  });
}

/** Any other console error: the code, what to do, and the reference. */
export function errorPage(
  input: Base & { code: string; title: string; detail: string; signedIn: boolean; session?: Parameters<typeof consolePage>[0]['session'] },
): string {
  const next = input.signedIn
    ? html`<p><a href="/console/">Back to the console</a></p>`
    : html`<p><a href="/console/sign-in">Sign in</a></p>`;
  return consolePage({
    title: input.title,
    requestId: input.requestId,
    code: input.code,
    session: input.session ?? null,
    narrow: true,
    body: narrow(html`<h1>${input.title}</h1><p>${input.detail}</p>${next}`, 'error-card'),
  });
}
