// The demo storefront's pages, in the hosted pages' layout (src/http/html.ts). Every page links
// somewhere forward: the shop's home, the course, sign-in.
import { html, page } from '../http/html.ts';

export type PageContext = { brand: string; requestId: string };

const SIGN_IN = '/_edge/visitor/sign-in';
const COURSE = '/content/demo/';
const LESSONS = ['Choosing paper and brushes', 'Your first wash', 'Layering colour'];

function signInHref(returnTo: string): string {
  return `${SIGN_IN}?returnTo=${encodeURIComponent(returnTo)}`;
}

export function homePage(context: PageContext, signedIn: boolean): string {
  return page({
    ...context,
    title: 'Watercolour for beginners',
    body: html`<p>This is the demo storefront of your development service. Its course is for members: the demo shopper
<code>demo@example.com</code> has access to it.</p>
<p><a class="button" href="${COURSE}">Open the course</a></p>
<div class="alt">${
      signedIn
        ? html`<p>You are signed in on this storefront.</p>`
        : html`<p>Not signed in yet? Opening the course asks you to sign in first, or <a href="${signInHref(COURSE)}">sign in now</a>.</p>`
    }
<p>Bought something? <a href="/orders/A-1001">See order A-1001</a>. Trouble signing in? <a href="/_edge/visitor/diagnostics">Check this browser</a>.</p></div>`,
  });
}

export function coursePage(context: PageContext): string {
  return page({
    ...context,
    title: 'Watercolour for beginners: the course',
    body: html`<p>You are signed in and this course is yours. Pick a lesson:</p>
<ul>${LESSONS.map((title, i) => html`<li><a href="${COURSE}lesson-${i + 1}">Lesson ${i + 1}: ${title}</a></li>`)}</ul>
<p><a href="/">Back to the shop</a></p>`,
  });
}

export function lessonPage(context: PageContext, lesson: number): string {
  const next = lesson < LESSONS.length ? html`<a class="button" href="${COURSE}lesson-${lesson + 1}">Next lesson</a>` : '';
  return page({
    ...context,
    title: `Lesson ${lesson}: ${LESSONS[lesson - 1]}`,
    body: html`<p>The lesson’s video and notes would be here.</p>
<p>${next}</p>
<p><a href="${COURSE}">All lessons</a> · <a href="/">Back to the shop</a></p>`,
  });
}

export function orderPage(context: PageContext, orderId: string): string {
  return page({
    ...context,
    title: `Order ${orderId}`,
    body: html`<p>Your order <strong>${orderId}</strong> is confirmed. Its downloads would be here.</p>
<p><a href="/">Back to the shop</a></p>`,
  });
}

/** The edge check said 403: signed in, but this address has no grant for the page (or the path is refused). */
export function noGrantPage(context: PageContext, path: string, reason: string | null): string {
  return page({
    ...context,
    title: 'This page is not part of your purchases',
    code: reason ?? 'no_grant',
    body: html`<p>You are signed in, but the address you used has no access to this page.</p>
<p><a class="button" href="${signInHref(path)}">Sign in with another address</a></p>
<p><a href="/">Back to the shop</a></p>`,
  });
}
