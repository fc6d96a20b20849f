// What a shopper reads on the hosted pages: one "already used" page for links and codes, times in
// words (never milliseconds), and the full address on the check-email page (issue #15).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { CookieJar, Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

const heading = (html: string) => html.match(/<h1>(.*?)<\/h1>/s)?.[1];
const buttons = (html: string) => html.match(/<a class="button[^"]*" href="[^"]*">[^<]*<\/a>/g);
/** The card's visible words: no markup (a form's action URL) and no support footer (the catalogue code `used_magic_link`). */
const prose = (html: string) => html.slice(html.indexOf('<h1>'), html.indexOf('<footer')).replace(/<[^>]*>/g, ' ');
const EXACT_TIME = /<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">(today|yesterday) at \d\d:\d\d UTC<\/time>/;

/** A form sign-in request from this browser (the pending cookie), its check-email page opened. */
async function askByForm(email: string, returnTo: string) {
  const jar = new CookieJar();
  expect((await h.form('/v2/visitor/auth/magic-link', { email, returnTo }, { jar })).status).toBe(303);
  await h.deliver();
  await h.fetch('/_edge/visitor/check-email', { jar }); // sets the test cookie the code form needs
  return { jar, mail: h.mail.last(email) };
}

describe('the "already used" page', () => {
  it('answers a used code from the browser form with the used-link page: same heading and button, no "link" wording, a readable time', async () => {
    const { jar, mail } = await askByForm('used-code@example.com', '/content/u/');
    // Signed in on the phone with the link…
    const path = Harness.pathOf(mail.link!);
    const phone = new CookieJar();
    await h.fetch(path, { jar: phone });
    expect((await h.form(path, {}, { jar: phone })).status).toBe(303);
    h.clock.advance(12 * 60 + 5);
    // …then the code typed on the laptop, twelve minutes later.
    const codeAnswer = await h.form('/v2/visitor/auth/verify', { code: mail.code! }, { jar });
    expect(codeAnswer.status).toBe(409);
    expect(codeAnswer.headers.get('content-type')).toContain('text/html');
    const codePage = await codeAnswer.text();
    const linkAnswer = await h.fetch(path, { jar: new CookieJar() });
    expect(linkAnswer.status).toBe(409);
    const linkPage = await linkAnswer.text();

    expect(heading(codePage)).toBe('This sign-in was already used');
    expect(heading(linkPage)).toBe(heading(codePage)!);
    const button =
      '<a class="button" href="/_edge/visitor/sign-in?returnTo=http%3A%2F%2Flocalhost%2Fcontent%2Fu%2F">Send me a new sign-in email</a>';
    expect(buttons(codePage)).toEqual([button]);
    expect(buttons(linkPage)).toEqual([button]);
    expect(prose(codePage)).toContain('This code was used');
    expect(prose(codePage)).not.toMatch(/link/i);
    for (const page of [codePage, linkPage]) {
      expect(page).toContain('used_magic_link');
      expect(page).toMatch(EXACT_TIME);
      expect(page).toContain('(12 minutes ago)');
      expect(page).not.toMatch(/\.\d{3}Z/);
    }
    // The button keeps the address this browser asked with, to send a new email in one press.
    const signIn = await (await h.fetch('/_edge/visitor/sign-in?returnTo=http%3A%2F%2Flocalhost%2Fcontent%2Fu%2F', { jar })).text();
    expect(signIn).toContain('value="used-code@example.com"');
    expect(signIn).toContain('value="http://localhost/content/u/"');
  });

  it('keeps the API answer for a used code: problem+json used_magic_link with usedAt', async () => {
    const mail = await h.requestLink('used-code-api@example.com');
    expect((await h.json('/v2/visitor/auth/verify', { token: mail.token })).status).toBe(200);
    const replay = await h.json('/v2/visitor/auth/verify', { handle: 'gharart', email: 'used-code-api@example.com', code: mail.code });
    expect(replay.status).toBe(409);
    expect(replay.headers.get('content-type')).toContain('application/problem+json');
    expect(((await replay.json()) as { code: string }).code).toBe('used_magic_link');
  });

  it('answers an expired code from the browser form with an expired page about a code, in words, with a button for a fresh email', async () => {
    const { jar, mail } = await askByForm('expired-code@example.com', '/content/e/');
    h.clock.advance(60 * 60 * 3);
    const answer = await h.form('/v2/visitor/auth/verify', { code: mail.code! }, { jar });
    expect(answer.status).toBe(410);
    expect(answer.headers.get('content-type')).toContain('text/html');
    const page = await answer.text();
    expect(heading(page)).toBe('This code has expired');
    expect(prose(page)).not.toMatch(/link/i);
    expect(page).toContain('expired_magic_link');
    expect(page).toMatch(
      /expired <time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">(today|yesterday) at \d\d:\d\d UTC<\/time> \(2 hours ago\)/,
    );
    expect(page).not.toMatch(/\.\d{3}Z/);
    expect(page).toContain('<input type="hidden" name="email" value="expired-code@example.com">');
    expect(page).toContain('<input type="hidden" name="returnTo" value="http://localhost/content/e/">');
    // The button asks for a fresh email to the same address, back to the same place.
    const fresh = await h.form(
      '/v2/visitor/auth/magic-link',
      { email: 'expired-code@example.com', returnTo: 'http://localhost/content/e/' },
      { jar },
    );
    expect(fresh.status).toBe(303);
    await h.deliver();
    expect(h.mail.to('expired-code@example.com')).toHaveLength(2);
  });

  it('says when a link expired in words a person reads, never milliseconds', async () => {
    const mail = await h.requestLink('expired-words@example.com');
    h.clock.advance(60 * 60 * 3);
    const answer = await h.fetch(Harness.pathOf(mail.link!), { jar: new CookieJar() });
    expect(answer.status).toBe(410);
    const page = await answer.text();
    expect(page).toMatch(
      /expired <time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">(today|yesterday) at \d\d:\d\d UTC<\/time> \(2 hours ago\)/,
    );
    expect(page).not.toMatch(/\.\d{3}Z/);
  });
});

describe('the check-email page', () => {
  it('shows the full address, escaped, with "Not you? Change it" back to the sign-in page keeping returnTo and the address', async () => {
    const { jar } = await askByForm("o'brien+shop@example.com", '/content/c/');
    const page = await (await h.fetch('/_edge/visitor/check-email', { jar })).text();
    expect(page).toContain('We sent a sign-in link to <strong>o&#39;brien+shop@example.com</strong>.');
    expect(page).not.toContain('•');
    const change = page.match(/Not you\? <a href="([^"]+)">Change it<\/a>/)?.[1];
    expect(change).toBe('/_edge/visitor/sign-in?returnTo=http%3A%2F%2Flocalhost%2Fcontent%2Fc%2F');
    const signIn = await (await h.fetch(change!, { jar })).text();
    expect(signIn).toContain('value="o&#39;brien+shop@example.com"');
    expect(signIn).toContain('value="http://localhost/content/c/"');
  });

  it('prefills nothing on the sign-in page without a pending sign-in from this browser', async () => {
    const signIn = await (await h.fetch('/_edge/visitor/sign-in')).text();
    expect(signIn).not.toMatch(/<input id="email"[^>]*value=/);
  });
});
