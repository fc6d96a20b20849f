// The sign-in mail as a shopper's phone receives it: read from the real SMTP capture after a real
// request, in both parts. The HTML is a mobile-ready email (lang, viewport, title, preheader, the
// link also as copyable text); both parts give the link's validity in honest, plural-correct words.
// Its rendering at phone width in Chromium is checked by test/e2e/mail-render.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { humanDuration, magicLinkMail } from '../src/mail/magic-link-mail.ts';
import { updateTenant } from '../src/tenants/tenants.ts';
import { Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

/** The HTML part as the mail client gets it, with `&amp;` turned back into `&` for comparing links. */
function htmlOf(mail: { html: string }): string {
  return mail.html.replaceAll('&amp;', '&');
}

describe('the sign-in mail', () => {
  it('is a mobile-ready HTML email: lang, viewport, title, preheader, no scripts or external assets', async () => {
    const mail = await h.requestLink('template@example.com');
    const tenant = h.gharart.name;
    expect(mail.html).toMatch(/^<!doctype html>/i);
    expect(mail.html).toContain('<html lang="en">');
    expect(mail.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(mail.html).toContain(`<title>Sign in to ${tenant}</title>`);
    // The preheader comes first in the body, hidden, and names the tenant and the validity.
    const preheader = /<body[^>]*>\s*<div data-preheader style="([^"]*)">([^<]*)<\/div>/.exec(mail.html);
    expect(preheader).not.toBeNull();
    expect(preheader![1]).toContain('display:none');
    // Spacers (no-break space + zero-width non-joiner) follow, so no body text leaks into the preview.
    expect(preheader![2]!.replace(/[\u00a0\u200c]/g, '')).toBe(`Your sign-in link and code for ${tenant}, valid 15 minutes.`);
    expect(mail.html).not.toMatch(/<script|<link|<img|src=|url\(|@import/i);
  });

  it('carries the link as a button and as copyable text that wraps, and the code in a large monospace block', async () => {
    const mail = await h.requestLink('copyable@example.com');
    const body = htmlOf(mail);
    expect(mail.link).not.toBeNull();
    expect(body).toContain(`data-button href="${mail.link}"`);
    // The copyable link shows the whole URL as its text, and breaks anywhere so it never widens the page.
    const copy = /<a data-copy-link href="([^"]+)" style="([^"]*)">([^<]+)<\/a>/.exec(body);
    expect(copy).not.toBeNull();
    expect(copy![1]).toBe(mail.link!);
    expect(copy![3]).toBe(mail.link!);
    expect(copy![2]).toContain('word-break:break-all');
    const code = /<p data-code style="([^"]*)">(\d{6})<\/p>/.exec(body);
    expect(code![2]).toBe(mail.code!);
    expect(code![1]).toContain('monospace');
    expect(code![1]).toMatch(/font:700 2rem/);
  });

  it('has a plain-text part as good as the HTML one: link, code, validity and the ignore line', async () => {
    const mail = await h.requestLink('plain@example.com');
    expect(mail.text).toBe(
      [
        `Sign in to ${h.gharart.name}`,
        '',
        'Open this link to sign in:',
        mail.link,
        '',
        `Or enter this code: ${mail.code}`,
        '',
        'The link and the code work once, for 15 minutes.',
        "If you didn't ask to sign in, you can ignore this email.",
        '',
      ].join('\n'),
    );
    expect(mail.html).toContain('The link and the code work once, for 15 minutes.');
  });

  it('says "1 minute" (singular) for a tenant whose links last 60 seconds, in both parts', async () => {
    await updateTenant(h.db, 'gharart', { magicLinkTtlSeconds: 60 });
    try {
      const mail = await h.requestLink('one-minute@example.com');
      expect(mail.text).toContain('The link and the code work once, for 1 minute.');
      expect(mail.html).toContain('The link and the code work once, for 1 minute.');
      expect(mail.html).toContain('valid 1 minute.');
      expect(mail.text + mail.html).not.toContain('1 minutes');
    } finally {
      await updateTenant(h.db, 'gharart', { magicLinkTtlSeconds: null });
    }
  });

  it('says "20 seconds" when MAGIC_LINK_TTL is 20, never rounding up to a minute', async () => {
    const short = await Harness.start({ env: { MAGIC_LINK_TTL: '20' } });
    try {
      const mail = await short.requestLink('twenty@example.com');
      expect(mail.text).toContain('The link and the code work once, for 20 seconds.');
      expect(mail.html).toContain('The link and the code work once, for 20 seconds.');
      expect(mail.html).toContain('valid 20 seconds.');
      expect(mail.text + mail.html).not.toMatch(/\bminutes?\b/);
    } finally {
      await short.close();
    }
  });

  it('escapes the tenant name everywhere it appears in the HTML part', async () => {
    const original = h.gharart.name;
    await updateTenant(h.db, 'gharart', { name: `Ghar & "Art" <b>` });
    try {
      const mail = await h.requestLink('escaped@example.com');
      expect(mail.html).not.toContain('<b>');
      expect(mail.html).toContain('<title>Sign in to Ghar &amp; &quot;Art&quot; &lt;b&gt;</title>');
      expect(mail.text).toContain('Sign in to Ghar & "Art" <b>');
    } finally {
      await updateTenant(h.db, 'gharart', { name: original });
    }
  });
});

describe('the validity in words', () => {
  it('uses seconds below a minute, minutes below two hours, hours above, always rounding down', () => {
    expect(humanDuration(1)).toBe('1 second');
    expect(humanDuration(20)).toBe('20 seconds');
    expect(humanDuration(59)).toBe('59 seconds');
    expect(humanDuration(60)).toBe('1 minute');
    expect(humanDuration(119)).toBe('1 minute');
    expect(humanDuration(900)).toBe('15 minutes');
    expect(humanDuration(7199)).toBe('119 minutes');
    expect(humanDuration(7200)).toBe('2 hours');
    expect(humanDuration(86_399)).toBe('23 hours');
    expect(humanDuration(86_400)).toBe('24 hours');
  });

  it('says the same in a link-only mail (the console sign-in), in both parts', () => {
    const mail = magicLinkMail({ tenantName: 'Console', link: 'http://localhost/x?a=1&b=2', code: null, ttlSeconds: 3600 });
    expect(mail.text).toContain('The link works once, for 60 minutes.');
    expect(mail.html).toContain('The link works once, for 60 minutes.');
    expect(mail.html).toContain('Your sign-in link for Console, valid 60 minutes.');
    expect(mail.html).toContain('>http://localhost/x?a=1&amp;b=2</a>');
    expect(mail.html).not.toContain('data-code');
  });
});
