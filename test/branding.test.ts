// Tenant branding, black-box: a storefront's logo (https, with width, height and its name as alt),
// accent colour and support contact on its hosted pages, the diagnostics page and the sign-in mail
// (real SMTP capture); a CSP that lets in exactly the logo's origin; the console's branding form
// (admins only, CSRF, audit, each refusal beside its field). The CLI's flags: test/cli-branding.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertOperator } from '../src/console/operators.ts';
import { sql } from '../src/db/sql.ts';
import type { Tenant } from '../src/tenants/tenants.ts';
import { codeOf, ConsoleClient, csrfOf } from './console-client.ts';
import { CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';
import { insertTestTenant } from './support/tenants.ts';

let h: Harness;
let branded: Tenant;
let admin: ConsoleClient;
let support: ConsoleClient;

const HOST = 'branded.test';
const LOGO = 'https://cdn.branded.example/img/logo.png?v=2';
const STRICT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const LOGO_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https://cdn.branded.example; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/** What the sign-in and link pages add for their one script (passkeys), served from our own origin. */
const WITH_SCRIPT = "; script-src 'self'; connect-src 'self'";

beforeAll(async () => {
  h = await Harness.start();
  branded = await insertTestTenant(h.db, 'branded', {
    name: 'Branded & Co',
    logoUrl: LOGO,
    logoWidth: 120,
    logoHeight: 40,
    accentColor: '#7a1fa2',
    supportContact: 'help@branded.example',
  });
  const now = h.clock.now();
  await upsertOperator(h.db, { email: 'admin@ops.test', role: 'admin', tenantIds: [], now });
  await upsertOperator(h.db, { email: 'support@ops.test', role: 'support', tenantIds: [branded.id], now });
  admin = await new ConsoleClient(h, 'admin@ops.test', '192.0.2.1').signIn();
  support = await new ConsoleClient(h, 'support@ops.test', '192.0.2.2').signIn();
});
afterAll(() => h.close());

function page(path: string, host = HOST, jar?: CookieJar): Promise<Response> {
  return h.fetch(path, { host, jar, headers: { accept: 'text/html' } });
}

/** The branding a hosted page shows: logo tag, accent property, support-contact line. */
function brandingOf(html: string) {
  return {
    logo: /<header class="brand">(<img [^>]*>)<\/header>/.exec(html)?.[1] ?? null,
    accent: /--accent:(#[0-9a-f]{6})/.exec(html)?.[1] ?? null,
    contact: /<p data-support-contact>(.*?)<\/p>/.exec(html)?.[1] ?? null,
  };
}

const LOGO_TAG = '<img class="logo" src="https://cdn.branded.example/img/logo.png?v=2" width="120" height="40" alt="Branded &amp; Co">';
const CONTACT_LINE = 'Need help? Contact <a href="mailto:help@branded.example">help@branded.example</a> and quote this reference:';

describe('hosted pages', () => {
  it('show the logo with width, height and the name as alt, the accent colour and the support contact', async () => {
    const response = await page('/_edge/visitor/sign-in');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(brandingOf(html)).toEqual({ logo: LOGO_TAG, accent: '#7a1fa2', contact: CONTACT_LINE });
    // Buttons, links and the focus ring use it, through the one custom property in the page's <style>.
    expect(html).toContain('button,.button{background:var(--accent);border-color:var(--accent)}');
    expect(html).toContain(':focus-visible{outline-color:var(--accent)}');
  });

  it("send a CSP that stays strict and allows images only from the page itself and the logo's origin", async () => {
    for (const [path, csp] of [
      ['/_edge/visitor/sign-in', LOGO_CSP + WITH_SCRIPT],
      ['/_edge/visitor/check-email', LOGO_CSP],
    ]) {
      const response = await page(path!);
      expect([path, response.headers.get('content-security-policy')]).toEqual([path, csp]);
    }
    // A storefront without a logo (and the service's own pages) keep img-src 'self' alone.
    const plain = await page('/_edge/visitor/sign-in', 'localhost');
    expect(plain.headers.get('content-security-policy')).toBe(STRICT_CSP + WITH_SCRIPT);
    expect(brandingOf(await plain.text())).toEqual({ logo: null, accent: null, contact: null });
    expect((await h.fetch('/healthz')).headers.get('content-security-policy')).toBe(STRICT_CSP);
  });

  it('brand the link page and the sign-in mail: logo, accent-coloured button, support contact in both parts', async () => {
    const asked = await h.json('/v2/visitor/auth/magic-link', { email: 'shopper@example.com' }, { host: HOST });
    expect(asked.status).toBe(202);
    await h.deliver();
    const mail = h.mail.last('shopper@example.com');
    expect(mail.html).toContain(
      '<img data-logo src="https://cdn.branded.example/img/logo.png?v=2" width="120" height="40" alt="Branded &amp; Co"',
    );
    expect(/<a data-button href="[^"]+" style="([^"]*)"/.exec(mail.html)![1]).toContain('background:#7a1fa2;color:#fff');
    expect(mail.html).toMatch(
      /<p data-support-contact [^>]*>Need help\? Contact <a href="mailto:help@branded\.example"[^>]*>help@branded\.example<\/a>\.<\/p>/,
    );
    expect(mail.text).toContain('\nNeed help? Contact help@branded.example.\n');

    const linkPage = await page(new URL(mail.link!).pathname);
    expect(linkPage.status).toBe(200);
    expect(linkPage.headers.get('content-security-policy')).toBe(LOGO_CSP + WITH_SCRIPT);
    expect(brandingOf(await linkPage.text())).toEqual({ logo: LOGO_TAG, accent: '#7a1fa2', contact: CONTACT_LINE });
  });

  it('leave a storefront without branding exactly as before, in pages and mail', async () => {
    const mail = await h.requestLink('plain@example.com');
    expect(mail.html).not.toMatch(/<img|data-support-contact/);
    expect(mail.html).toContain('background:#1d1d1f;color:#fff');
    expect(mail.text).not.toContain('Need help');
  });

  it('point the diagnostics page\'s "send this to" at the support contact', async () => {
    const jar = new CookieJar();
    await page('/_edge/visitor/diagnostics', HOST, jar);
    const response = await page('/_edge/visitor/diagnostics?check=1', HOST, jar);
    expect(response.headers.get('content-security-policy')).toBe(LOGO_CSP);
    const html = await response.text();
    expect(html).toContain('<p>Copy this and send it to <a href="mailto:help@branded.example">help@branded.example</a>:</p>');
    expect(brandingOf(html).logo).toBe(LOGO_TAG);
    // Without a contact it still says "support".
    const plainJar = new CookieJar();
    await page('/_edge/visitor/diagnostics', 'localhost', plainJar);
    expect(await (await page('/_edge/visitor/diagnostics?check=1', 'localhost', plainJar)).text()).toContain(
      '<p>Copy this and send it to support:</p>',
    );
  });
});

/** The branding form as a browser submits it: every field, the session's CSRF token from the page. */
async function saveBranding(client: ConsoleClient, fields: Record<string, string>, handle = 'branded'): Promise<Response> {
  const form = await (await client.get(`/console/tenants/${handle}/branding`)).text();
  return client.post(`/console/tenants/${handle}/branding`, {
    csrf: csrfOf(form),
    logoUrl: '',
    logoWidth: '',
    logoHeight: '',
    accentColor: '',
    supportContact: '',
    ...fields,
  });
}

/** The refusal shown beside each field of a console page, by field. */
function fieldErrors(html: string): Record<string, string> {
  return Object.fromEntries([...html.matchAll(/data-field-error="(\w+)"[^>]*>([^<]*)</g)].map((m) => [m[1]!, m[2]!]));
}

describe('the console branding page', () => {
  it('lets an admin set the branding; shoppers see it at once and the audit trail records who changed what', async () => {
    const saved = await saveBranding(admin, {
      logoUrl: 'https://img.example.net/shop.svg',
      logoWidth: '200',
      logoHeight: '50',
      accentColor: '#0B57D0',
      supportContact: 'https://branded.test/help',
    });
    expect(saved.status).toBe(303);
    const location = saved.headers.get('location')!;
    expect(location).toMatch(/^\/console\/tenants\/branded\/branding\?ref=/);
    const after = await (await admin.get(location)).text();
    expect(after).toContain('Branding saved.');
    expect(after).toContain('value="https://img.example.net/shop.svg"');
    expect(after).toContain('value="#0b57d0"');

    const shopperPage = await page('/_edge/visitor/sign-in');
    expect(shopperPage.headers.get('content-security-policy')).toContain("img-src 'self' https://img.example.net;");
    expect(brandingOf(await shopperPage.text())).toEqual({
      logo: '<img class="logo" src="https://img.example.net/shop.svg" width="200" height="50" alt="Branded &amp; Co">',
      accent: '#0b57d0',
      contact: 'Need help? Contact <a href="https://branded.test/help">https://branded.test/help</a> and quote this reference:',
    });

    const requestId = new URL(location, 'http://x').searchParams.get('ref')!;
    const [row] = await h.db.many<{ kind: string; actor: string; detail: Record<string, unknown> }>(
      sql`select kind, actor, detail from audit_events where request_id = ${requestId}`,
    );
    expect(row!.kind).toBe('tenant_branding_set');
    expect(row!.actor).toMatch(/^operator:/);
    expect(row!.detail).toMatchObject({ accentColor: '#0b57d0', supportContact: 'https://branded.test/help', logoWidth: 200 });

    // Empty fields clear: the storefront is back to its name and neutral colours.
    expect((await saveBranding(admin, {})).status).toBe(303);
    const cleared = await page('/_edge/visitor/sign-in');
    expect(cleared.headers.get('content-security-policy')).toBe(STRICT_CSP + WITH_SCRIPT);
    expect(brandingOf(await cleared.text())).toEqual({ logo: null, accent: null, contact: null });
  });

  it('refuses an http logo, a bad colour, a low-contrast colour and a bad contact, each beside its field, saving nothing', async () => {
    const before = await h.deps.tenants.forId(branded.id);
    const refused = await saveBranding(admin, {
      logoUrl: 'http://cdn.example/logo.png',
      logoWidth: '0',
      logoHeight: '40',
      accentColor: '#ffcc00',
      supportContact: 'javascript:alert(1)',
    });
    expect(refused.status).toBe(400);
    const html = await refused.text();
    const errors = fieldErrors(html);
    expect(Object.keys(errors).sort()).toEqual(['accentColor', 'logoUrl', 'logoWidth', 'supportContact']);
    expect(errors.logoUrl).toContain('must be an https:// address');
    expect(errors.logoWidth).toContain('from 1 to 600');
    expect(errors.accentColor).toContain('too light');
    expect(errors.accentColor).toContain('4.5:1');
    expect(errors.supportContact).toContain('must be an https:// address');
    // The typed values stay, marked invalid, so the admin corrects rather than retypes.
    expect(html).toContain('value="http://cdn.example/logo.png"');
    expect(html).toMatch(/id="branding-accentColor"[^>]*aria-invalid="true"/);

    for (const [fields, field, says] of [
      [{ logoUrl: 'data:image/png;base64,iVBORw0KGgo=', logoWidth: '10', logoHeight: '10' }, 'logoUrl', 'https://'],
      [{ logoUrl: 'https://user:pw@cdn.example/logo.png', logoWidth: '10', logoHeight: '10' }, 'logoUrl', 'no user name or password'],
      [{ logoUrl: 'https://cdn.example;script-src/x.png', logoWidth: '10', logoHeight: '10' }, 'logoUrl', 'DNS name'],
      [{ accentColor: 'blue' }, 'accentColor', '#rrggbb'],
      [{ supportContact: 'not an address' }, 'supportContact', 'email address'],
      [{ supportContact: 'http://help.example' }, 'supportContact', 'https://'],
    ] as const) {
      const response = await saveBranding(admin, fields);
      expect([field, response.status]).toEqual([field, 400]);
      expect(fieldErrors(await response.text())[field]).toContain(says);
    }
    expect(await h.deps.tenants.forId(branded.id)).toEqual(before);
  });

  it('is read-only for a support operator, whose POST is refused', async () => {
    const view = await (await support.get('/console/tenants/branded/branding')).text();
    expect(view).toContain('Only admins change a storefront’s branding.');
    expect(view).not.toContain('<form method="post" action="/console/tenants/branded/branding"');
    const refused = await support.post('/console/tenants/branded/branding', { csrf: support.csrf, accentColor: '#000000' });
    expect(refused.status).toBe(403);
    expect(codeOf(await refused.text())).toBe('wrong_audience');
  });

  it('refuses a POST without the session CSRF token or from another origin', async () => {
    const noToken = await admin.post('/console/tenants/branded/branding', { csrf: 'forged', accentColor: '#000000' });
    expect(noToken.status).toBe(403);
    expect(codeOf(await noToken.text())).toBe('csrf_rejected');
    const elsewhere = await admin.post(
      '/console/tenants/branded/branding',
      { csrf: admin.csrf, accentColor: '#000000' },
      { origin: 'https://evil.example' },
    );
    expect(elsewhere.status).toBe(403);
    expect((await h.deps.tenants.forId(branded.id))?.accentColor).not.toBe('#000000');
  });

  it('is linked from the tenant page', async () => {
    const html = await (await admin.get('/console/tenants/branded')).text();
    expect(html).toContain('<a href="/console/tenants/branded/branding">Branding</a>');
    expect((await h.fetch('/console/tenants/branded/branding', { host: SERVICE_HOST })).status).toBe(303);
  });
});
