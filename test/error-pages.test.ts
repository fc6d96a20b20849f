// Every hosted error page of the sign-in forms offers the next step (issue #15): the form again with
// the error beside its field (aria-invalid, aria-describedby), what was typed kept (never a code),
// a new code where it helps, and a way back; API callers keep their problem+json answers exactly.
// A browser that blocks cookies is led to what works for it, never back to a form that fails there.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { CookieJar, Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

let ipCounter = 0;
const freshIp = () => `203.0.113.${++ipCounter}`;
const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');
const heading = (html: string) => html.match(/<h1>(.*?)<\/h1>/s)?.[1];
const errorCode = (html: string) => html.match(/<code data-error-code>([^<]*)<\/code>/)?.[1];
/** The visible words of the card, without markup and without the support footer. */
const prose = (html: string) =>
  html
    .slice(html.indexOf('<h1>'), html.indexOf('<footer'))
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ');
const input = (html: string, id: string) => html.match(new RegExp(`<input id="${id}"[^>]*>`))?.[0];

/** A form sign-in request from this browser (pending cookie), the check-email page opened (test cookie). */
async function askByForm(email: string, returnTo: string, ip = freshIp()) {
  const jar = new CookieJar();
  expect((await h.form('/v2/visitor/auth/magic-link', { email, returnTo }, { jar, ip })).status).toBe(303);
  await h.deliver();
  await h.fetch('/_edge/visitor/check-email', { jar, ip });
  return { jar, mail: h.mail.last(email) };
}

describe('the sign-in form, refused', () => {
  it('answers an invalid email with the form again: 400 invalid_email, the error beside the field, what was typed kept', async () => {
    const answer = await h.form('/v2/visitor/auth/magic-link', { email: 'ann@@example', returnTo: '/content/a/' }, { ip: freshIp() });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toContain('text/html');
    const page = await answer.text();
    expect(page).toContain('<form method="post" action="/v2/visitor/auth/magic-link">');
    const email = input(page, 'email')!;
    expect(email).toContain('value="ann@@example"');
    expect(email).toContain('aria-invalid="true"');
    expect(email).toContain('aria-describedby="email-error"');
    // The message comes right after its field, and says what to do, in the shopper's words.
    expect(page).toMatch(/<input id="email"[^>]*>\n<p id="email-error" class="field-error">[^<]+name@example\.com\.<\/p>/);
    expect(page).toContain('<input type="hidden" name="returnTo" value="http://localhost/content/a/">');
    expect(errorCode(page)).toBe('invalid_email');
    expect(page).toContain(`<code data-request-id>${answer.headers.get('x-request-id')}</code>`);
    expect(prose(page)).not.toMatch(/returnTo|\/v2\//);
  });

  it('answers a returnTo it will not send people to with the form again: 400 invalid_return_to, the email kept, the home page instead', async () => {
    const answer = await h.form(
      '/v2/visitor/auth/magic-link',
      { email: 'bea@example.com', returnTo: 'https://evil.example/' },
      { ip: freshIp() },
    );
    expect(answer.status).toBe(400);
    const page = await answer.text();
    expect(errorCode(page)).toBe('invalid_return_to');
    expect(input(page, 'email')).toContain('value="bea@example.com"');
    expect(input(page, 'email')).not.toContain('aria-invalid');
    expect(page).toContain('<input type="hidden" name="returnTo" value="http://localhost/">');
    expect(page).not.toContain('evil.example');
    expect(prose(page)).toContain('home page');
    expect(prose(page)).not.toMatch(/returnTo/);
    // Pressing the button again now works.
    const again = await h.form(
      '/v2/visitor/auth/magic-link',
      { email: 'bea@example.com', returnTo: 'http://localhost/' },
      { ip: freshIp() },
    );
    expect(again.status).toBe(303);
  });

  it('opens the sign-in page with a returnTo it will not send people to as the form still: 400, a word why, the home page instead', async () => {
    const answer = await h.fetch(`/_edge/visitor/sign-in?returnTo=${encodeURIComponent('https://evil.example/')}`, {
      headers: { accept: 'text/html' },
    });
    expect(answer.status).toBe(400);
    const page = await answer.text();
    expect(errorCode(page)).toBe('invalid_return_to');
    expect(page).toContain('<form method="post" action="/v2/visitor/auth/magic-link">');
    expect(page).toContain('<input type="hidden" name="returnTo" value="http://localhost/">');
    expect(page).not.toContain('evil.example');
    expect(prose(page)).toContain('home page');
  });

  it('keeps problem+json for API callers: invalid_email and invalid_return_to, as before', async () => {
    const email = await h.json('/v2/visitor/auth/magic-link', { email: 'not-an-email' });
    expect(email.status).toBe(400);
    expect(email.headers.get('content-type')).toContain('application/problem+json');
    expect(((await email.json()) as { code: string }).code).toBe('invalid_email');
    const returnTo = await h.json('/v2/visitor/auth/magic-link', { email: 'api@example.com', returnTo: '//evil.example/' });
    expect(returnTo.status).toBe(400);
    expect(returnTo.headers.get('content-type')).toContain('application/problem+json');
    expect(((await returnTo.json()) as { code: string }).code).toBe('invalid_return_to');
  });
});

describe('the code form, refused', () => {
  it('answers a wrong code with the code form again: 400 invalid_code, the error beside the field, the code not echoed, a new code one press away', async () => {
    const ip = freshIp();
    const { jar, mail } = await askByForm('wrong-code@example.com', '/content/w/', ip);
    const typed = wrongFor(mail.code!);
    const answer = await h.form('/v2/visitor/auth/verify', { code: typed }, { jar, ip });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toContain('text/html');
    const page = await answer.text();
    expect(errorCode(page)).toBe('invalid_code');
    expect(heading(page)).toBe('Check your email');
    const code = input(page, 'code')!;
    expect(code).toContain('aria-invalid="true"');
    expect(code).toContain('aria-describedby="code-error"');
    expect(code).not.toContain('value=');
    expect(page).not.toContain(typed);
    expect(page).toMatch(/<input id="code"[^>]*>\n<p id="code-error" class="field-error">That code is not right\./);
    // The tries left are never counted (that would tell a stranger the address has a code): said alike for all.
    expect(prose(page)).toContain('After a few more wrong tries the code stops working; then ask for a new one.');
    expect(prose(page)).not.toMatch(/\b[1-5] (more )?(tries|attempts)\b/);
    // A new code for the same address and destination, and a way back.
    expect(page).toContain('<input type="hidden" name="email" value="wrong-code@example.com">');
    expect(page).toContain('<input type="hidden" name="returnTo" value="http://localhost/content/w/">');
    expect(page).toContain('>Email me a new code</button>');
    expect(page).toContain('<a href="/_edge/visitor/sign-in?returnTo=http%3A%2F%2Flocalhost%2Fcontent%2Fw%2F">Use a different email</a>');
    // The form still works: the right code now signs in.
    const right = await h.form('/v2/visitor/auth/verify', { code: mail.code! }, { jar, ip });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('http://localhost/content/w/');
  });

  it('answers a wrong code alike for an address with a live code and for a stranger (typed address kept, nothing else differs)', async () => {
    const ip = freshIp();
    await h.requestLink('known-address@example.com');
    const pageFor = async (email: string) => {
      const jar = new CookieJar();
      await h.fetch('/_edge/visitor/check-email', { jar, ip });
      const answer = await h.form('/v2/visitor/auth/verify', { email, code: '000000' }, { jar, ip });
      const text = await answer.text();
      return {
        status: answer.status,
        page: text.replaceAll(answer.headers.get('x-request-id')!, 'REQUEST').replaceAll(email, 'EMAIL'),
        text,
      };
    };
    const known = await pageFor('known-address@example.com');
    const stranger = await pageFor('nobody-here@example.com');
    expect(known.status).toBe(400);
    expect(stranger.status).toBe(400);
    expect(stranger.page).toBe(known.page);
    expect(input(known.text, 'code-email')).toContain('value="known-address@example.com"');
  });

  it('answers an invalid address on the code form with the error beside the email field, the address kept', async () => {
    const ip = freshIp();
    const jar = new CookieJar();
    await h.fetch('/_edge/visitor/check-email', { jar, ip });
    const answer = await h.form('/v2/visitor/auth/verify', { email: 'typo.example.com', code: '123456' }, { jar, ip });
    expect(answer.status).toBe(400);
    const page = await answer.text();
    expect(errorCode(page)).toBe('invalid_email');
    const email = input(page, 'code-email')!;
    expect(email).toContain('value="typo.example.com"');
    expect(email).toContain('aria-invalid="true"');
    expect(email).toContain('aria-describedby="code-email-error"');
    expect(input(page, 'code')).not.toContain('aria-invalid');
    expect(page).not.toContain('123456');
  });

  it('answers the right code after five wrong ones with 429 code_attempts_exceeded and the way forward: the link, or a new code', async () => {
    const { jar, mail } = await askByForm('burned-form@example.com', '/content/b/');
    for (let i = 0; i < 5; i++) {
      expect((await h.form('/v2/visitor/auth/verify', { code: wrongFor(mail.code!) }, { jar, ip: freshIp() })).status).toBe(400);
    }
    const answer = await h.form('/v2/visitor/auth/verify', { code: mail.code! }, { jar, ip: freshIp() });
    expect(answer.status).toBe(429);
    const page = await answer.text();
    expect(errorCode(page)).toBe('code_attempts_exceeded');
    expect(page).toContain('too many wrong tries');
    expect(page).toContain('>Email me a new code</button>');
    expect(page).not.toContain(mail.code!);
  });

  it('keeps problem+json for API callers of verify: invalid_code and invalid_email, as before', async () => {
    const wrong = await h.json(
      '/v2/visitor/auth/verify',
      { handle: 'gharart', email: 'api-code@example.com', code: '000000' },
      { ip: freshIp() },
    );
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(((await wrong.json()) as { code: string }).code).toBe('invalid_code');
    const email = await h.json('/v2/visitor/auth/verify', { handle: 'gharart', email: 'nope', code: '000000' }, { ip: freshIp() });
    expect(email.status).toBe(400);
    expect(((await email.json()) as { code: string }).code).toBe('invalid_email');
  });
});

describe('a browser that blocks cookies', () => {
  it('after the link: "Try again" for the same link, another browser or device with the code page as text, never a link to the code form', async () => {
    const mail = await h.requestLink('blocked-link@example.com');
    const path = Harness.pathOf(mail.link!);
    const answer = await h.form(path, {}, { ip: freshIp() }); // no cookie jar: nothing comes back
    expect(answer.status).toBe(400);
    const page = await answer.text();
    expect(errorCode(page)).toBe('cookie_blocked');
    expect(page).toContain(`<form method="post" action="${path}"><button type="submit">Try again</button></form>`);
    expect(page).toContain('<code data-code-page>http://localhost/_edge/visitor/check-email</code>');
    expect(page).not.toContain('href="/_edge/visitor/check-email"');
    expect(page).not.toContain('Enter the code instead');
    expect(prose(page)).toContain('another browser or device');
  });

  it('after the code: no way back to the code form in this browser, only what works (cookies allowed, or another browser or device)', async () => {
    const jar = new CookieJar();
    expect((await h.form('/v2/visitor/auth/magic-link', { email: 'blocked-code@example.com' }, { jar, ip: freshIp() })).status).toBe(303);
    await h.deliver();
    const mail = h.mail.last('blocked-code@example.com');
    // The test cookie never came back (the check-email page's answer was dropped).
    const answer = await h.form('/v2/visitor/auth/verify', { code: mail.code! }, { jar, ip: freshIp() });
    expect(answer.status).toBe(400);
    const page = await answer.text();
    expect(errorCode(page)).toBe('cookie_blocked');
    expect(page).not.toContain('action="/v2/visitor/auth/verify"');
    expect(page).not.toContain('href="/_edge/visitor/check-email"');
    expect(page).not.toContain('Enter the code instead');
    expect(page).toContain('<code data-code-page>http://localhost/_edge/visitor/check-email</code>');
    expect(prose(page)).toContain('open the link in the email again');
    expect(page).toContain('href="/_edge/visitor/diagnostics"');
    expect(page).not.toContain(mail.code!);
  });
});
