// Error pages of the generic problem path (src/http/problem.ts, from the app's onError and the catch
// in handle()) on a storefront's host: in the request's language, with the storefront's branding and
// its CSP, a title and a sentence per code in the shopper's words (from the catalogues, never the
// API's detail), and a way on — try again (with the wait in words), the sign-in page (keeping a
// returnTo it accepts), the shop's home. Status, code and request id stay what they were, and API
// callers get the same problem+json as before. A host without a storefront keeps the neutral page.
// The report-sent page of the support forms is localised and branded too.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { ERRORS } from '../src/errors.ts';
import { LOCALES } from '../src/i18n/locales.ts';
import { CATALOGUES } from '../src/i18n/messages.ts';
import { setOverride } from '../src/limits/policies.ts';
import type { Tenant } from '../src/tenants/tenants.ts';
import { Harness, SERVICE_HOST } from './support/harness.ts';
import { insertTestTenant } from './support/tenants.ts';

let h: Harness;
let branded: Tenant;

const HOST = 'branded.test';
const ORIGIN = 'https://branded.test';
const LOGO_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https://cdn.branded.example; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const STRICT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const LOGO_TAG = '<img class="logo" src="https://cdn.branded.example/img/logo.png" width="120" height="40" alt="Branded &amp; Co">';
const GERMAN_CONTACT =
  'Brauchen Sie Hilfe? Wenden Sie sich an <a href="mailto:help@branded.example">help@branded.example</a> und nennen Sie diese Angaben:';
const DE = { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' };
const BROWSER_DE = { ...DE, accept: 'text/html,application/xhtml+xml' };
const PROBLEM_KEYS = ['code', 'detail', 'requestId', 'status', 'title', 'type'];

beforeAll(async () => {
  h = await Harness.start();
  branded = await insertTestTenant(h.db, 'branded', {
    name: 'Branded & Co',
    logoUrl: 'https://cdn.branded.example/img/logo.png',
    logoWidth: 120,
    logoHeight: 40,
    accentColor: '#7a1fa2',
    supportContact: 'help@branded.example',
  });
  // One sign-in request a minute per client IP at this storefront, and one open of each of its links.
  await setOverride(h.db, branded.id, 'magic-link:per-ip', 1);
  await setOverride(h.db, branded.id, 'link:per-link', 1);
});
afterAll(() => h.close());

let ipCounter = 0;
const freshIp = () => `198.51.100.${++ipCounter}`;
const heading = (html: string) => html.match(/<h1>(.*?)<\/h1>/s)?.[1];
const errorCode = (html: string) => html.match(/<code data-error-code>([^<]*)<\/code>/)?.[1];
/** The card between its heading and the support footer: what the shopper reads and where they can go. */
const card = (html: string) => html.slice(html.indexOf('<h1>'), html.indexOf('<footer'));
const links = (html: string): (string | undefined)[][] =>
  [...card(html).matchAll(/<a (?:class="([^"]*)" )?href="([^"]*)">([^<]*)<\/a>/g)].map((m) => m.slice(1));

/** What every branded German problem page has: the words of its code, the branding, its CSP, the footer. */
async function germanPage(answer: Response, code: keyof typeof ERRORS): Promise<string> {
  expect([code, answer.status]).toEqual([code, ERRORS[code].status]);
  expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(answer.headers.get('content-security-policy')).toBe(LOGO_CSP);
  expect(answer.headers.get('content-language')).toBe('de');
  expect(answer.headers.get('vary')).toContain('Accept-Language');
  const html = await answer.text();
  expect(html).toContain('<html lang="de">');
  expect(heading(html)).toBe(CATALOGUES.de.problems[code].title.replaceAll("'", '&#39;'));
  expect(card(html)).toContain(`<p>${CATALOGUES.de.problems[code].text}</p>`);
  expect(html).toContain(LOGO_TAG);
  expect(html).toContain('--accent:#7a1fa2');
  expect(html).toContain(GERMAN_CONTACT);
  expect(errorCode(html)).toBe(code);
  expect(html).toContain(`<code data-request-id>${answer.headers.get('x-request-id')}</code>`);
  return html;
}

/** The same request as an API caller makes it: problem+json with exactly the members it always had. */
async function problemOf(answer: Response): Promise<{ status: number; code: string; keys: string[]; title: string }> {
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  const body = (await answer.json()) as Record<string, unknown>;
  return { status: answer.status, code: String(body.code), keys: Object.keys(body).sort(), title: String(body.title) };
}

describe('the catalogues', () => {
  it('have a title and a sentence for every error code, in every language (a code without them fails here and in typecheck)', () => {
    const codes = Object.keys(ERRORS).sort();
    for (const locale of LOCALES) {
      const problems = CATALOGUES[locale].problems as Record<string, { title: string; text: string }>;
      expect([locale, Object.keys(problems).sort()]).toEqual([locale, codes]);
      for (const code of codes) {
        expect(problems[code]!.title.length).toBeGreaterThan(3);
        expect(problems[code]!.text.length).toBeGreaterThan(10);
      }
    }
    // The shopper's words: none of the API's (field names, headers, routes, credentials).
    const jargon = LOCALES.flatMap((locale) =>
      Object.entries(CATALOGUES[locale].problems)
        .filter(([, words]) => /returnTo|Idempotency|\bhandle\b|scope|credential|\/v2\/|JSON|HTTP/i.test(`${words.title} ${words.text}`))
        .map(([code]) => `${locale}.${code}`),
    );
    expect(jargon).toEqual([]);
  });
});

describe('on a storefront host', () => {
  it('answers a mangled sign-in link in German, branded, with the sign-in page and the shop one click away (400 invalid_magic_link)', async () => {
    const asked = await h.json('/v2/visitor/auth/magic-link', { email: 'mangled@example.com' }, { host: HOST, ip: freshIp() });
    expect(asked.status).toBe(202);
    await h.deliver();
    const path = Harness.pathOf(h.mail.last('mangled@example.com').link!);
    // The last characters lost, as a mail app that breaks long lines might.
    const mangled = path.slice(0, -4);
    const answer = await h.fetch(mangled, { host: HOST, ip: freshIp(), headers: BROWSER_DE });
    const html = await germanPage(answer, 'invalid_magic_link');
    expect(links(html)).toEqual([
      ['button', '/_edge/visitor/sign-in', 'Zur Anmeldeseite'],
      [undefined, `${ORIGIN}/`, 'Zurück zu Branded &amp; Co'],
    ]);
    // Nothing of the API's words, nothing to try again (a mangled link stays mangled).
    expect(html).not.toContain('This sign-in link is not valid');
    expect(html).not.toContain('Erneut versuchen');

    const api = await h.fetch(mangled, { host: HOST, ip: freshIp() });
    expect(await problemOf(api)).toEqual({
      status: 400,
      code: 'invalid_magic_link',
      keys: PROBLEM_KEYS,
      title: 'This sign-in link is not valid',
    });
  });

  it('answers a sign-in form sent too often with the wait in words, the sign-in page (its returnTo kept) and the shop (429 rate_limited)', async () => {
    const ip = freshIp();
    const send = (email: string) =>
      h.form(
        '/v2/visitor/auth/magic-link',
        { email, returnTo: '/content/course/' },
        { host: HOST, ip, headers: { ...DE, origin: ORIGIN } },
      );
    expect((await send('first@example.com')).status).toBe(303);
    const answer = await send('second@example.com');
    const retryAfter = Number(answer.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const html = await germanPage(answer, 'rate_limited');
    const wait = retryAfter === 1 ? '1 Sekunde' : retryAfter === 60 ? '1 Minute' : `${retryAfter} Sekunden`;
    expect(card(html)).toContain(`<p>Sie können es in ${wait} erneut versuchen.</p>`);
    // A form post cannot be sent again by a link: the way back is the form, with where the shopper was going.
    expect(links(html)).toEqual([
      ['button', '/_edge/visitor/sign-in?returnTo=%2Fcontent%2Fcourse%2F', 'Zur Anmeldeseite'],
      [undefined, `${ORIGIN}/`, 'Zurück zu Branded &amp; Co'],
    ]);

    const api = await h.json('/v2/visitor/auth/magic-link', { email: 'third@example.com' }, { host: HOST, ip });
    expect(api.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await problemOf(api)).toEqual({ status: 429, code: 'rate_limited', keys: PROBLEM_KEYS, title: 'Too many requests' });
  });

  it('offers "try again" on the same address for a page opened too often (429 rate_limited on a GET), in English when asked', async () => {
    // The link:per-link override allows one open of each link.
    const asked = await h.json('/v2/visitor/auth/magic-link', { email: 'often@example.com' }, { host: HOST, ip: freshIp() });
    expect(asked.status).toBe(202);
    await h.deliver();
    const path = Harness.pathOf(h.mail.last('often@example.com').link!);
    await h.fetch(path, { host: HOST, ip: freshIp(), headers: { accept: 'text/html' } });
    const answer = await h.fetch(path, { host: HOST, ip: freshIp(), headers: { accept: 'text/html', 'accept-language': 'en' } });
    expect(answer.status).toBe(429);
    expect(answer.headers.get('content-language')).toBe('en');
    expect(answer.headers.get('content-security-policy')).toBe(LOGO_CSP);
    const html = await answer.text();
    expect(heading(html)).toBe('Too many tries for now');
    // The wait, rounded up (this policy's window is 15 minutes).
    const seconds = Number(answer.headers.get('retry-after'));
    const minutes = Math.ceil(seconds / 60);
    const wait = seconds < 60 ? `${seconds} second${seconds === 1 ? '' : 's'}` : `${minutes} minute${minutes === 1 ? '' : 's'}`;
    expect(card(html)).toContain(`<p>You can try again in ${wait}.</p>`);
    expect(links(html)).toEqual([
      ['button', path, 'Try again'],
      ['button secondary', '/_edge/visitor/sign-in', 'Go to the sign-in page'],
      [undefined, `${ORIGIN}/`, 'Back to Branded &amp; Co'],
    ]);
    expect(errorCode(html)).toBe('rate_limited');
  });

  it('answers a form from another site in German with the sign-in page to send it from (403 csrf_rejected)', async () => {
    const answer = await h.form(
      '/v2/visitor/auth/magic-link',
      { email: 'csrf@example.com' },
      { host: HOST, ip: freshIp(), headers: { ...DE, origin: 'https://evil.example' } },
    );
    const html = await germanPage(answer, 'csrf_rejected');
    expect(links(html).map(([, href]) => href)).toEqual(['/_edge/visitor/sign-in', `${ORIGIN}/`]);
  });

  it('answers an unknown page on the shop in German with the shop and the sign-in page (404 not_found), a returnTo it refuses dropped', async () => {
    const answer = await h.fetch(`/no/such/page?returnTo=${encodeURIComponent('https://evil.example/')}`, {
      host: HOST,
      headers: BROWSER_DE,
    });
    const html = await germanPage(answer, 'not_found');
    expect(links(html)).toEqual([
      ['button', '/_edge/visitor/sign-in', 'Zur Anmeldeseite'],
      [undefined, `${ORIGIN}/`, 'Zurück zu Branded &amp; Co'],
    ]);
    expect(html).not.toContain('evil.example');
    const kept = await h.fetch(`/no/such/page?returnTo=${encodeURIComponent('/content/a/')}`, { host: HOST, headers: BROWSER_DE });
    expect(links(await kept.text())[0]).toEqual(['button', '/_edge/visitor/sign-in?returnTo=%2Fcontent%2Fa%2F', 'Zur Anmeldeseite']);
    expect(await problemOf(await h.fetch('/no/such/page', { host: HOST }))).toEqual({
      status: 404,
      code: 'not_found',
      keys: PROBLEM_KEYS,
      title: 'Not found',
    });
  });

  it('answers a body too large in German, branded, with its CSP, before and inside the app (413 payload_too_large)', async () => {
    const big = { email: 'big@example.com', returnTo: `/${'x'.repeat(70_000)}` };
    for (const extra of [{}, { 'idempotency-key': 'too-big-1' }] as Record<string, string>[]) {
      const answer = await h.form('/v2/visitor/auth/magic-link', big, {
        host: HOST,
        ip: freshIp(),
        headers: { ...DE, origin: ORIGIN, ...extra },
      });
      const html = await germanPage(answer, 'payload_too_large');
      expect(links(html).map(([, href]) => href)).toEqual(['/_edge/visitor/sign-in', `${ORIGIN}/`]);
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const api = await h.json('/v2/visitor/auth/magic-link', big, { host: HOST, ip: freshIp() });
    expect(await problemOf(api)).toEqual({
      status: 413,
      code: 'payload_too_large',
      keys: PROBLEM_KEYS,
      title: 'The request body is too large',
    });
  });

  it("speaks the storefront's default language when the browser names no shipped one", async () => {
    const answer = await h.fetch('/no/such/page', { host: 'other.test', headers: { accept: 'text/html', 'accept-language': 'fr' } });
    expect(answer.headers.get('content-language')).toBe('en');
    expect(heading(await answer.text())).toBe('We can&#39;t find that page');
  });
});

describe('on a host without a storefront', () => {
  it('keeps the neutral page: English, the API detail, no storefront words or links, the strict CSP', async () => {
    const answer = await h.fetch('/no/such/page', { host: SERVICE_HOST, headers: BROWSER_DE });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-security-policy')).toBe(STRICT_CSP);
    expect(answer.headers.get('content-language')).toBeNull();
    const html = await answer.text();
    expect(html).toContain('<html lang="en">');
    expect(heading(html)).toBe('Not found');
    expect(card(html)).toContain('<p>No such route.</p>');
    expect(html).toContain('<header class="brand">Visitor Access</header>');
    expect(links(html)).toEqual([]);
  });
});

describe('the report-sent page', () => {
  it('is in German, branded, with the report number and a way back to the shop', async () => {
    const sent = await h.form(
      '/v2/support/report',
      { summary: 'Der Link geht nicht', details: 'Er sagt abgelaufen.' },
      { host: HOST, ip: freshIp(), headers: { ...DE, origin: ORIGIN } },
    );
    expect(sent.status).toBe(303);
    const location = sent.headers.get('location')!;
    const reportId = new URLSearchParams(location.split('?')[1]).get('reportId')!;
    const answer = await h.fetch(location, { host: HOST, headers: BROWSER_DE });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-security-policy')).toBe(LOGO_CSP);
    expect(answer.headers.get('content-language')).toBe('de');
    const html = await answer.text();
    expect(html).toContain('<html lang="de">');
    expect(heading(html)).toBe('Wir haben Ihre Meldung erhalten');
    expect(card(html)).toContain(`<p>Ihre Meldungsnummer lautet <code>${reportId}</code> (Referenz <code>`);
    expect(html).toContain(LOGO_TAG);
    expect(links(html)).toEqual([['button', `${ORIGIN}/`, 'Zurück zu Branded &amp; Co']]);
    expect(html).toContain('Brauchen Sie Hilfe? Wenden Sie sich an <a href="mailto:help@branded.example">');
  });

  it('stays English and neutral on a host without a storefront, with no shop to go back to', async () => {
    const answer = await h.fetch('/_edge/visitor/support/report-sent?kind=content', { host: SERVICE_HOST, headers: BROWSER_DE });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-security-policy')).toBe(STRICT_CSP);
    const html = await answer.text();
    expect(heading(html)).toBe('Report received');
    expect(links(html)).toEqual([]);
  });
});
