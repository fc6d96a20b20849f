// Cross-site confirmations, black-box: a link from another site (or an old browser that sends no
// Sec-Fetch-Site) never lands a signed-in operator on a pre-filled confirmation of a console action,
// one click from done. Confirmations show values only when the console chose them: a sealed link of
// the operator's own pages, or a console form posted with Origin and the session's CSRF token.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertOperator } from '../src/console/operators.ts';
import { codeOf, CONSOLE_ORIGIN, ConsoleClient, csrfOf, linkOf } from './console-client.ts';
import { CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';

let h: Harness;
let admin: ConsoleClient;
let other: ConsoleClient; // another admin: another session, another CSRF token

const SHOPPER = 'shopper@example.com';
const ATTACKER = 'attacker@evil.example';
// What a hostile page links to: "grant /* to attacker@…" at gharart.
const CRAFTED = `/console/tenants/gharart/confirm?${new URLSearchParams({ action: 'grant-add', email: ATTACKER, resource: '/*', kind: 'content' })}`;
const SHOPPER_PAGE = `/console/tenants/gharart/shopper?email=${encodeURIComponent(SHOPPER)}`;

beforeAll(async () => {
  h = await Harness.start();
  const now = h.clock.now();
  await upsertOperator(h.db, { email: 'admin@ops.test', role: 'admin', tenantIds: [], now });
  await upsertOperator(h.db, { email: 'other-admin@ops.test', role: 'admin', tenantIds: [], now });
  admin = await new ConsoleClient(h, 'admin@ops.test', '192.0.2.1').signIn();
  other = await new ConsoleClient(h, 'other-admin@ops.test', '192.0.2.2').signIn();
  await h.requestLink(SHOPPER);
});
afterAll(() => h.close());

/** A GET in the admin's browser, with the Sec-Fetch-Site it would send (undefined: none at all). */
function navigate(path: string, site: string | undefined, jar: CookieJar = admin.jar): Promise<Response> {
  return h.fetch(path, {
    host: SERVICE_HOST,
    ip: '192.0.2.1',
    jar,
    headers: { accept: 'text/html', ...(site ? { 'sec-fetch-site': site } : {}) },
  });
}

/** A page that lets the operator confirm an action with one click. */
const CONFIRM_FORM = /<form method="post" action="\/console\/tenants\/[a-z0-9-]+\/actions\/[a-z-]+">/;

async function followed(answer: Response, site: string | undefined): Promise<{ status: number; page: string; path: string | null }> {
  const location = answer.headers.get('location');
  if (answer.status !== 303 || !location) return { status: answer.status, page: await answer.text(), path: null };
  // The redirect chain of a cross-site navigation stays cross-site.
  const next = await navigate(location, site);
  return { status: next.status, page: await next.text(), path: location };
}

describe('a confirmation reached from another site', () => {
  for (const [label, site] of [
    ['Sec-Fetch-Site: cross-site', 'cross-site'],
    ['Sec-Fetch-Site: same-site (a sibling subdomain)', 'same-site'],
    ['no Sec-Fetch-Site at all (an old browser)', undefined],
    ['Sec-Fetch-Site: none (pasted into the address bar)', 'none'],
    ['Sec-Fetch-Site: same-origin but values the console never sealed', 'same-origin'],
  ] as const) {
    it(`a pre-filled grant confirmation with ${label} shows no confirm-ready form; the operator lands on the shopper page`, async () => {
      const answer = await navigate(CRAFTED, site);
      expect(answer.status).toBe(303);
      expect(answer.headers.get('location')).toBe(`/console/tenants/gharart/shopper?email=${encodeURIComponent(ATTACKER)}`);
      const landed = await followed(answer, site);
      expect(landed.status).toBe(200);
      expect(landed.page).not.toMatch(CONFIRM_FORM);
      expect(landed.page).not.toContain('Add this grant?');
    });
  }

  it('a cross-site arrival without the Strict session cookie is not reopened as a same-origin confirmation', async () => {
    // What the browser really sends cross-site: the Lax hint cookie, not the Strict session cookie.
    const crossSite = new CookieJar();
    crossSite.values.set('__Host-console_hint', admin.jar.values.get('__Host-console_hint')!);
    const answer = await navigate(CRAFTED, 'cross-site', crossSite);
    expect(answer.status).toBe(303);
    expect(await answer.text()).not.toContain('confirm?');
    expect(answer.headers.get('location')).not.toContain('/confirm');
  });

  it('a sealed link of the operator’s own pages, tampered with or sealed by another session, is not offered either', async () => {
    const sealed = linkOf(await (await admin.get(SHOPPER_PAGE)).text(), 'Re-send sign-in link…');
    const tampered = sealed.replace(encodeURIComponent(SHOPPER), encodeURIComponent(ATTACKER));
    expect(tampered).not.toBe(sealed);
    const othersLink = linkOf(await (await other.get(SHOPPER_PAGE)).text(), 'Re-send sign-in link…');
    expect(othersLink).not.toBe(sealed);
    const forged = `${CRAFTED}&seal=${'A'.repeat(43)}`;
    for (const [label, path] of [
      ['tampered', tampered],
      ['another session’s', othersLink],
      ['forged', forged],
    ] as const) {
      const answer = await navigate(path, 'same-origin');
      expect([label, answer.status]).toEqual([label, 303]);
      expect(await answer.text()).not.toMatch(CONFIRM_FORM);
    }
    // Even the operator's own sealed link does not work from another site (a leaked URL).
    expect((await navigate(sealed, 'cross-site')).status).toBe(303);
  });
});

describe('a confirmation reached from the console itself', () => {
  it('follows the console’s own sealed links, from a current or an old browser', async () => {
    const href = linkOf(await (await navigate(SHOPPER_PAGE, 'same-origin')).text(), 'Re-send sign-in link…');
    expect(href).toContain('seal=');
    for (const site of ['same-origin', undefined]) {
      const answer = await navigate(href, site);
      expect([site, answer.status]).toEqual([site, 200]);
      const page = await answer.text();
      expect(page).toContain('Re-send a sign-in link?');
      expect(page).toContain(SHOPPER);
      expect(page).toMatch(CONFIRM_FORM);
    }
  });

  it('the grant form posts its typed values to the confirmation, checked like every console form', async () => {
    const shopper = await (await admin.get(SHOPPER_PAGE)).text();
    const form = /<form method="post" action="\/console\/tenants\/gharart\/confirm"[\s\S]*?<\/form>/.exec(shopper)?.[0];
    expect(form).toBeDefined();
    const fields = { action: 'grant-add', email: SHOPPER, resource: '/content/course-9/*', kind: 'content', csrf: csrfOf(form!) };
    const confirmed = await admin.post('/console/tenants/gharart/confirm', fields);
    expect(confirmed.status).toBe(200);
    const page = await confirmed.text();
    expect(page).toContain('Add this grant?');
    expect(page).toContain('/content/course-9/*');
    expect(page).toMatch(CONFIRM_FORM);
    // From another origin, or without the session's token: 403 csrf_rejected, no confirmation.
    for (const [label, extra, headers] of [
      ['other origin', {}, { origin: 'https://evil.example' }],
      ['no token', { csrf: '' }, { origin: CONSOLE_ORIGIN }],
      ['another session’s token', { csrf: other.csrf }, { origin: CONSOLE_ORIGIN }],
    ] as const) {
      const refused = await admin.post('/console/tenants/gharart/confirm', { ...fields, ...extra }, headers);
      expect([label, refused.status, codeOf(await refused.text())]).toEqual([label, 403, 'csrf_rejected']);
    }
  });
});
