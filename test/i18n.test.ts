// Shopper pages and the sign-in mail speak the shopper's language: one catalogue per shipped locale
// (complete: the same keys as English, no more), chosen by Accept-Language (q-values honoured; a
// shipped language wins over the tenant's default), then the tenant's default, then English.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { LOCALES, negotiateLocale } from '../src/i18n/locales.ts';
import { CATALOGUES } from '../src/i18n/messages.ts';
import { humanDuration, magicLinkMail } from '../src/mail/magic-link-mail.ts';
import { updateTenant } from '../src/tenants/tenants.ts';
import { CookieJar, Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
  // `other` (https://other.test) is a German storefront; `gharart` keeps the default, English.
  await updateTenant(h.db, 'other', { locale: 'de' });
});
afterAll(() => h.close());

let ipCounter = 0;
const freshIp = () => `192.0.2.${++ipCounter}`;
const heading = (html: string) => html.match(/<h1>(.*?)<\/h1>/s)?.[1];
const DE = { 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' };

/** Every key path of a catalogue, with what sits there ("string", "function/2", "object" is walked). */
function shape(value: unknown, path = ''): string[] {
  if (typeof value === 'function') return [`${path} function/${value.length}`];
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([key, inner]) => shape(inner, `${path}.${key}`));
  return [`${path} ${typeof value}`];
}

describe('the catalogues', () => {
  it('ship every locale with exactly the keys of English (none missing, none extra), each of the same kind', () => {
    expect(Object.keys(CATALOGUES).sort()).toEqual([...LOCALES].sort());
    const english = shape(CATALOGUES.en).sort();
    expect(english.length).toBeGreaterThan(80);
    for (const locale of LOCALES) expect([locale, shape(CATALOGUES[locale]).sort()]).toEqual([locale, english]);
  });

  it('finds a missing and an extra key (the check above can fail)', () => {
    const { layout: _dropped, ...missing } = CATALOGUES.de;
    expect(shape(missing).sort()).not.toEqual(shape(CATALOGUES.en).sort());
    expect(shape({ ...CATALOGUES.de, surplus: 'x' }).sort()).not.toEqual(shape(CATALOGUES.en).sort());
  });

  it('translates German: no shopper-facing string left in English', () => {
    const strings = (value: unknown): string[] =>
      typeof value === 'string' ? [value] : typeof value === 'object' && value ? Object.values(value).flatMap(strings) : [];
    const english = new Set(strings(CATALOGUES.en));
    // Proper words both languages share.
    const shared = new Set(['Cookies', 'ja', 'Shop']);
    const same = strings(CATALOGUES.de).filter((text) => english.has(text) && !shared.has(text));
    expect(same).toEqual([]);
  });

  it("counts with the language's plural rules: 1 minute / 2 minutes, 1 Minute / 2 Minuten", () => {
    expect([humanDuration(60, 'en'), humanDuration(120, 'en'), humanDuration(1, 'en'), humanDuration(7200, 'en')]).toEqual([
      '1 minute',
      '2 minutes',
      '1 second',
      '2 hours',
    ]);
    expect([humanDuration(60, 'de'), humanDuration(120, 'de'), humanDuration(1, 'de'), humanDuration(3600 * 5, 'de')]).toEqual([
      '1 Minute',
      '2 Minuten',
      '1 Sekunde',
      '5 Stunden',
    ]);
    const mail = magicLinkMail({ tenantName: 'Laden', link: 'https://x.test/l', code: '123456', ttlSeconds: 60, locale: 'de' });
    expect(mail.text).toContain('Link und Code funktionieren einmal und sind 1 Minute gültig.');
  });
});

describe('choosing the language', () => {
  it('honours q-values, regions and q=0, then the tenant default, then English', () => {
    expect(negotiateLocale('en;q=0.4, de;q=0.8', 'en')).toBe('de');
    expect(negotiateLocale('de;q=0.4, en', 'de')).toBe('en');
    expect(negotiateLocale('fr-CH, fr;q=0.9, de;q=0.2', 'en')).toBe('de');
    expect(negotiateLocale('de-AT', 'en')).toBe('de');
    expect(negotiateLocale('de;q=0, fr', 'en')).toBe('en');
    expect(negotiateLocale('fr, *;q=0.5', 'de')).toBe('de');
    expect(negotiateLocale(null, 'de')).toBe('de');
    expect(negotiateLocale('', 'xx')).toBe('en');
    expect(negotiateLocale('de;q=abc, en;q=0.1', 'de')).toBe('en');
  });

  it('answers the sign-in page in German for Accept-Language de: <html lang>, Content-Language, Vary', async () => {
    const answer = await h.fetch('/_edge/visitor/sign-in', { headers: DE });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-language')).toBe('de');
    expect(answer.headers.get('vary')).toContain('Accept-Language');
    const page = await answer.text();
    expect(page).toContain('<html lang="de">');
    expect(heading(page)).toBe('Bei Gharart anmelden');
    expect(page).toContain('Anmeldelink senden');
    expect(page).toContain('<dt>Referenz</dt>');
    const english = await h.fetch('/_edge/visitor/sign-in');
    expect(english.headers.get('content-language')).toBe('en');
    expect(english.headers.get('vary')).toContain('Accept-Language');
    expect(await english.text()).toContain('<html lang="en">');
  });

  it('follows the q-values of a request: German ranked above English wins, English ranked above German too', async () => {
    const german = await h.fetch('/_edge/visitor/sign-in', { headers: { 'accept-language': 'en;q=0.5, de;q=0.9' } });
    expect(german.headers.get('content-language')).toBe('de');
    const english = await h.fetch('/_edge/visitor/sign-in', { host: 'other.test', headers: { 'accept-language': 'de;q=0.5, en;q=0.9' } });
    expect(english.headers.get('content-language')).toBe('en');
  });

  it("uses the tenant's default when the browser asks for no shipped language, and a shipped one the browser asks for wins", async () => {
    const plain = await h.fetch('/_edge/visitor/sign-in', { host: 'other.test' });
    expect(plain.headers.get('content-language')).toBe('de');
    expect(heading(await plain.text())).toBe('Bei Other Shop anmelden');
    const french = await h.fetch('/_edge/visitor/sign-in', { host: 'other.test', headers: { 'accept-language': 'fr-FR, fr;q=0.9' } });
    expect(french.headers.get('content-language')).toBe('de');
    const asked = await h.fetch('/_edge/visitor/sign-in', { host: 'other.test', headers: { 'accept-language': 'en-GB' } });
    expect(asked.headers.get('content-language')).toBe('en');
    expect(heading(await asked.text())).toBe('Sign in to Other Shop');
  });
});

describe('German pages and mail', () => {
  it('sends the mail in the language of the request that asked for it: subject, text and HTML, 15 Minuten', async () => {
    const jar = new CookieJar();
    const asked = await h.form('/v2/visitor/auth/magic-link', { email: 'de-mail@example.com' }, { jar, headers: DE, ip: freshIp() });
    expect(asked.status).toBe(303);
    await h.deliver();
    const mail = h.mail.last('de-mail@example.com');
    expect(mail.subject).toBe('Ihr Anmeldelink für Gharart');
    expect(mail.text).toContain('Öffnen Sie diesen Link, um sich anzumelden:');
    expect(mail.text).toContain('Link und Code funktionieren einmal und sind 15 Minuten gültig.');
    expect(mail.text).toMatch(/Oder geben Sie diesen Code ein: \d{6}/);
    expect(mail.html).toContain('<html lang="de">');
    expect(mail.html).toContain('Bei Gharart anmelden');
    expect(mail.html).toContain('Wenn Sie keine Anmeldung angefordert haben');
    // The check-email page the form lands on is German too.
    const page = await (await h.fetch('/_edge/visitor/check-email', { jar, headers: DE })).text();
    expect(heading(page)).toBe('Prüfen Sie Ihr Postfach');
    expect(page).toContain('Wir haben einen Anmeldelink an <strong>de-mail@example.com</strong> gesendet.');
  });

  it("writes an API request's mail in the tenant's default language when it names none, and in English when it asks", async () => {
    const german = await h.json(
      '/v2/visitor/auth/magic-link',
      { handle: 'other', email: 'tenant-de@example.com' },
      { host: 'service.test' },
    );
    expect(german.status).toBe(202);
    const english = await h.json(
      '/v2/visitor/auth/magic-link',
      { handle: 'other', email: 'tenant-en@example.com' },
      { host: 'service.test', headers: { 'accept-language': 'en-US,en;q=0.9' } },
    );
    expect(english.status).toBe(202);
    await h.deliver();
    expect(h.mail.last('tenant-de@example.com').subject).toBe('Ihr Anmeldelink für Other Shop');
    expect(h.mail.last('tenant-en@example.com').subject).toBe('Your sign-in link for Other Shop');
  });

  it('shows a wrong code in German beside the field, with times in German words on the expired page', async () => {
    const ip = freshIp();
    const jar = new CookieJar();
    await h.fetch('/_edge/visitor/check-email', { jar, ip, headers: DE });
    const wrong = await h.form('/v2/visitor/auth/verify', { email: 'de-code@example.com', code: '000000' }, { jar, ip, headers: DE });
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('content-language')).toBe('de');
    const page = await wrong.text();
    expect(page).toMatch(/<p id="code-error" class="field-error">Dieser Code stimmt nicht\./);
    expect(page).toContain('<dt>Fehlercode</dt><dd><code data-error-code>invalid_code</code></dd>');

    const mail = await h.requestLink('de-expired@example.com');
    h.clock.advance(3 * 3600);
    const expired = await h.fetch(Harness.pathOf(mail.link!), { headers: DE });
    expect(expired.status).toBe(410);
    const expiredPage = await expired.text();
    expect(heading(expiredPage)).toBe('Dieser Anmeldelink ist abgelaufen');
    expect(expiredPage).toMatch(/<time datetime="[^"]+">(heute|gestern) um \d\d:\d\d UTC<\/time> \(vor 2 Stunden\) abgelaufen/);
  });

  it('answers the diagnostics page in German, the copy for support unchanged', async () => {
    const jar = new CookieJar();
    await h.fetch('/_edge/visitor/diagnostics', { jar, headers: DE });
    const answer = await h.fetch('/_edge/visitor/diagnostics?check=1', { jar, headers: DE });
    expect(answer.headers.get('content-language')).toBe('de');
    const page = await answer.text();
    expect(heading(page)).toBe('Anmelde-Diagnose');
    expect(page).toContain('<dt>Browser speichert ein Test-Cookie</dt><dd>ja</dd>');
    expect(page).toContain('testCookieKept: yes');
  });
});
