// The passkey parts of the hosted pages, black-box: the sign-in page's box and autofill field, the
// link page's offer request, the offer page, and the one script they load from our origin (the
// committed copy of @simplewebauthn/browser checked against the installed package).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { WEBAUTHN_BROWSER, WEBAUTHN_BROWSER_VERSION } from '../src/passkeys/webauthn-browser.ts';
import { SoftAuthenticator } from './support/authenticator.ts';
import { CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

const HTML = { accept: 'text/html' };
const SCRIPT_TAG = /<script src="(\/_edge\/visitor\/assets\/passkeys\.js\?v=[0-9a-f]{12})" defer><\/script>/;

/** Opens a fresh link for `email` (GET, the test cookie set); returns its path, jar and page. */
async function openLink(email: string, returnTo = '/content/a') {
  const mail = await h.requestLink(email, { returnTo });
  const path = Harness.pathOf(mail.link!);
  const jar = new CookieJar();
  const page = await h.fetch(path, { jar, headers: HTML });
  return { path, jar, page };
}

describe('the passkey script', () => {
  it('is @simplewebauthn/browser’s own build as installed (run `bun scripts/generate-webauthn-browser.ts` after an upgrade)', () => {
    const root = new URL('../node_modules/@simplewebauthn/browser/', import.meta.url);
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
    expect(WEBAUTHN_BROWSER_VERSION).toBe(pkg.version);
    expect(WEBAUTHN_BROWSER === readFileSync(new URL('dist/bundle/index.umd.min.js', root), 'utf8')).toBe(true);
  });

  it('is served from our origin, immutable, by the versioned URL the pages name', async () => {
    const page = await h.fetch('/_edge/visitor/sign-in', { headers: HTML });
    const src = SCRIPT_TAG.exec(await page.text())?.[1];
    expect(src).toBeDefined();
    const script = await h.fetch(src!);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toContain('immutable');
    const text = await script.text();
    expect(text.startsWith(WEBAUTHN_BROWSER)).toBe(true);
    for (const path of [
      '/v2/visitor/auth/passkey/options',
      '/v2/visitor/auth/passkey/verify',
      '/v2/visitor/passkeys/registration/verify',
    ]) {
      expect(text).toContain(path);
    }
  });
});

describe('the sign-in page', () => {
  it('offers passkeys in the email field’s autofill and behind a button, with our one script (CSP script-src self, nothing inline)', async () => {
    const page = await h.fetch('/_edge/visitor/sign-in?returnTo=%2Fcontent%2Fa', { headers: HTML });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('autocomplete="username webauthn"');
    expect(html).toMatch(/<div class="alt" data-passkey-signin hidden data-return-to="http:\/\/localhost\/content\/a"/);
    expect(html).toContain('Sign in with a passkey');
    expect(html).toMatch(SCRIPT_TAG);
    expect(html).not.toMatch(/<script>/);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'; connect-src 'self'");
    expect(csp).toContain("default-src 'none'");
  });

  it('speaks German with Sie', async () => {
    const page = await h.fetch('/_edge/visitor/sign-in', { headers: { ...HTML, 'accept-language': 'de' } });
    expect(await page.text()).toContain('Mit einem Passkey anmelden');
  });
});

/** What the passkey script notes in a browser with a platform authenticator. */
function capable(jar: CookieJar): CookieJar {
  jar.values.set('__Host-visitor_passkey', '1');
  return jar;
}

describe('the offer after a sign-in by link or code', () => {
  it('the link page loads the script that notes the browser can make one; without that note the link lands on returnTo as before', async () => {
    const { path, jar, page } = await openLink('offer-plain@example.com');
    const html = await page.text();
    expect(html).toMatch(SCRIPT_TAG);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const response = await h.form(path, {}, { jar });
    expect([response.status, response.headers.get('location')]).toEqual([303, 'http://localhost/content/a']);
  });

  it('a browser that can make a passkey lands on the offer page after the link, which goes on to returnTo', async () => {
    const { path, jar } = await openLink('offer@example.com');
    const response = await h.form(path, {}, { jar: capable(jar) });
    expect(response.status).toBe(303);
    const offerPath = response.headers.get('location')!;
    expect(offerPath).toBe('/_edge/visitor/passkeys/new?returnTo=http%3A%2F%2Flocalhost%2Fcontent%2Fa');
    const offer = await h.fetch(offerPath, { jar, headers: HTML });
    expect(offer.status).toBe(200);
    const html = await offer.text();
    expect(html).toContain('Sign in faster next time');
    expect(html).toMatch(/<a class="button secondary" href="http:\/\/localhost\/content\/a" data-passkey-later>Not now<\/a>/);
    expect(html).toMatch(SCRIPT_TAG);
    expect(offer.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('and after the 6-digit code typed into the check-email page’s form', async () => {
    const jar = capable(new CookieJar());
    const asked = await h.form('/v2/visitor/auth/magic-link', { email: 'offer-code@example.com', returnTo: '/content/c' }, { jar });
    expect(asked.status).toBe(303);
    await h.deliver();
    await h.fetch('/_edge/visitor/check-email', { jar, headers: HTML });
    const code = h.mail.to('offer-code@example.com').at(-1)!.code!;
    const signedIn = await h.form('/v2/visitor/auth/verify', { code }, { jar });
    expect([signedIn.status, signedIn.headers.get('location')]).toEqual([
      303,
      '/_edge/visitor/passkeys/new?returnTo=http%3A%2F%2Flocalhost%2Fcontent%2Fc',
    ]);
  });

  it('is not offered again once the shopper has a passkey on this host', async () => {
    const first = await openLink('offered-once@example.com');
    await h.form(first.path, {}, { jar: capable(first.jar) });
    const options = await h.json(
      '/v2/visitor/passkeys/registration/options',
      {},
      { jar: first.jar, headers: { origin: 'http://localhost' } },
    );
    const credential = await (await SoftAuthenticator.create()).register(
      (await options.json()) as Record<string, unknown>,
      'http://localhost',
    );
    const registered = await h.json(
      '/v2/visitor/passkeys/registration/verify',
      { credential },
      { jar: first.jar, headers: { origin: 'http://localhost' } },
    );
    expect(registered.status).toBe(201);
    const again = await openLink('offered-once@example.com');
    const response = await h.form(again.path, {}, { jar: capable(again.jar) });
    expect([response.status, response.headers.get('location')]).toEqual([303, 'http://localhost/content/a']);
  });

  it('the offer page sends anyone without a session on to returnTo (and a foreign returnTo to the shop’s home)', async () => {
    const nobody = await h.fetch('/_edge/visitor/passkeys/new?returnTo=%2Fcontent%2Fb', { headers: HTML });
    expect([nobody.status, nobody.headers.get('location')]).toEqual([303, 'http://localhost/content/b']);
    const foreign = await h.fetch('/_edge/visitor/passkeys/new?returnTo=https%3A%2F%2Fevil.test%2F', { headers: HTML });
    expect([foreign.status, foreign.headers.get('location')]).toEqual([303, 'http://localhost/']);
    const service = await h.fetch('/_edge/visitor/passkeys/new', { host: SERVICE_HOST, headers: HTML });
    expect(service.status).toBe(404);
  });
});
