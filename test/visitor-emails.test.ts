// Several addresses per buyer (issue #20 §1–2): add, verify (code and link page), list, remove;
// grants of every verified address at /v2/visitor/access and at the edge (cold and cached); signing
// in with a further address lands on the same visitor; merge only when both sides proved it;
// primary change with its notice and "this wasn't me" link; limits.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertGrant } from '../src/access/grants.ts';
import { sql } from '../src/db/sql.ts';
import { visitorEmailChanges, visitorEmails } from '../src/visitors/addresses.ts';
import { upsertOperator } from '../src/console/operators.ts';
import { createPat } from '../src/credentials/pats.ts';
import { ConsoleClient, refOf } from './console-client.ts';
import { CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';

let h: Harness;
const ORIGIN = { origin: 'http://localhost' };

beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

type Item = { email: string; verified: boolean; primary: boolean; addedAt: string; verifiedAt: string | null };

function grant(email: string, resource: string, tenantId = h.gharart.id) {
  return upsertGrant(h.db, tenantId, { email, resource, kind: 'content', title: null, orderId: null, expiresAt: null }, h.clock.now());
}

async function signedIn(email: string): Promise<{ jar: CookieJar; visitorId: string }> {
  const { jar } = await h.signIn(email);
  return { jar, visitorId: await visitorOf(jar) };
}

async function visitorOf(jar: CookieJar): Promise<string> {
  const response = await h.fetch('/v2/visitor/me', { jar });
  expect(response.status).toBe(200);
  return ((await response.json()) as { visitor: { id: string } }).visitor.id;
}

async function list(jar: CookieJar): Promise<Item[]> {
  const response = await h.fetch('/v2/visitor/emails', { jar });
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: Item[] }).items;
}

/** Adds the address and delivers its mail; returns the captured mail. */
async function add(jar: CookieJar, email: string, ip = '127.0.0.1') {
  const before = h.mail.messages.length;
  const response = await h.json('/v2/visitor/emails', { email }, { jar, headers: ORIGIN, ip });
  expect(response.status).toBe(202);
  expect(await response.json()).toEqual({ email, status: 'sent' });
  await h.deliver();
  expect(h.mail.messages.length).toBe(before + 1);
  const mail = h.mail.messages.at(-1)!;
  expect(mail.to).toBe(email);
  return mail;
}

function verify(jar: CookieJar, email: string, code: string) {
  return h.json('/v2/visitor/emails/verify', { email, code }, { jar, headers: ORIGIN });
}

function edge(uri: string, jar: CookieJar) {
  return h.fetch('/_edge/visitor/access', { headers: { 'x-original-uri': uri, cookie: jar.header() } });
}

async function access(jar: CookieJar): Promise<string[]> {
  const response = await h.fetch('/v2/visitor/access', { jar });
  return ((await response.json()) as { items: { resource: string }[] }).items.map((item) => item.resource);
}

describe('a further address', () => {
  it('is added unverified, verified by the code, listed, and its grants count (API and edge)', async () => {
    await grant('second@example.com', '/content/second/*');
    const { jar, visitorId } = await signedIn('first@example.com');
    expect((await edge('/content/second/lesson', jar)).status).toBe(403); // cached now, without the grant

    const mail = await add(jar, 'second@example.com');
    expect(mail.subject).toContain('Confirm your email address');
    expect(mail.code).toMatch(/^\d{6}$/);
    expect(mail.link).toContain('/_edge/visitor/emails/t/vae_');
    let items = await list(jar);
    expect(items.map((i) => [i.email, i.verified, i.primary])).toEqual([
      ['first@example.com', true, true],
      ['second@example.com', false, false],
    ]);
    expect(await access(jar)).toEqual([]); // unverified: its grants do not count

    const wrong = await verify(jar, 'second@example.com', mail.code === '000000' ? '111111' : '000000');
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { code: string }).code).toBe('invalid_code');
    const right = await verify(jar, 'second@example.com', mail.code!);
    expect(right.status).toBe(200);
    expect(await right.json()).toEqual({ email: 'second@example.com', merged: false });
    items = await list(jar);
    expect(items[1]).toMatchObject({ email: 'second@example.com', verified: true, primary: false });
    expect(items[1]!.verifiedAt).not.toBeNull();

    expect(await access(jar)).toEqual(['/content/second/*']);
    // The edge's cache still holds the identity read before; past its lifetime the cold read sees the grant.
    h.clock.advance(6);
    expect((await edge('/content/second/lesson', jar)).status).toBe(204);
    expect((await edge('/content/second/lesson-2', jar)).status).toBe(204); // from the cache
    // The erasure helper's reader: every row of the visitor's further addresses.
    expect((await visitorEmails(h.db, visitorId)).map((row) => row.email)).toEqual(['second@example.com']);
  });

  it('signs in as the same visitor (link, code, checkout handoff)', async () => {
    const { jar, visitorId } = await signedIn('one@example.com');
    const mail = await add(jar, 'two@example.com');
    expect((await verify(jar, 'two@example.com', mail.code!)).status).toBe(200);
    const second = await signedIn('two@example.com');
    expect(second.visitorId).toBe(visitorId);
    // By code too (the newest link of the visitor, asked for with the further address).
    const link = await h.requestLink('two@example.com');
    const byCode = new CookieJar();
    const response = await h.json(
      '/v2/visitor/auth/verify',
      { handle: 'gharart', email: 'two@example.com', code: link.code },
      { jar: byCode },
    );
    expect(response.status).toBe(200);
    expect(await visitorOf(byCode)).toBe(visitorId);
    const visitors = await h.db.many(sql`select id from visitors where email = 'two@example.com'`);
    expect(visitors).toEqual([]);
    // A checkout handoff for the further address opens a session of the same visitor.
    const pat = (await createPat(h.db, { tenantId: h.gharart.id, name: 'checkout', scopes: ['handoff:write'] })).token;
    const created = await h.json(
      '/v2/access/handoffs',
      { email: 'two@example.com', orderId: 'T-2' },
      { host: SERVICE_HOST, headers: { authorization: `Bearer ${pat}` } },
    );
    expect(created.status).toBe(201);
    const handoffPath = new URL(((await created.json()) as { url: string }).url).pathname;
    const fromCheckout = new CookieJar();
    await h.fetch(handoffPath, { jar: fromCheckout });
    await h.form(handoffPath, {}, { jar: fromCheckout });
    expect(await visitorOf(fromCheckout)).toBe(visitorId);
  });

  it('is verified by its link page: GET shows a button and changes nothing, POST confirms', async () => {
    await grant('linked@example.com', '/content/linked/*');
    const { jar } = await signedIn('holder@example.com');
    const mail = await add(jar, 'linked@example.com');
    const path = Harness.pathOf(mail.link!);
    const page = await h.fetch(path);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const body = await page.text();
    expect(body).toContain('linked@example.com');
    expect(body).toContain(`action="${path}"`);
    expect(body).not.toContain('data-merge-notice');
    expect((await list(jar))[1]!.verified).toBe(false);
    // A form post from elsewhere is refused.
    expect((await h.form(path, {}, { headers: { origin: 'https://evil.test' } })).status).toBe(403);
    const confirmed = await h.form(path, {});
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('data-confirmed');
    expect((await list(jar))[1]!.verified).toBe(true);
    expect(await access(jar)).toEqual(['/content/linked/*']);
    // Once used, the link is no longer valid.
    expect((await h.fetch(path)).status).toBe(400);
    // The request log never holds the token.
    await h.deps.requestLog.flush();
    const logged = await h.db.many<{ path: string }>(sql`select path from request_log where path like '/_edge/visitor/emails/t/%'`);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((row) => row.path === '/_edge/visitor/emails/t/[redacted]')).toBe(true);
  });

  it('expires after an hour', async () => {
    const { jar } = await signedIn('late@example.com');
    const mail = await add(jar, 'late-second@example.com');
    h.clock.advance(3601);
    const response = await verify(jar, 'late-second@example.com', mail.code!);
    expect(response.status).toBe(410);
    expect(((await response.json()) as { code: string }).code).toBe('expired_email_link');
    expect((await h.fetch(Harness.pathOf(mail.link!))).status).toBe(410);
  });

  it('is removed (not the primary); its grants stop counting', async () => {
    await grant('gone@example.com', '/content/gone/*');
    const { jar } = await signedIn('stays@example.com');
    const mail = await add(jar, 'gone@example.com');
    expect((await verify(jar, 'gone@example.com', mail.code!)).status).toBe(200);
    expect(await access(jar)).toEqual(['/content/gone/*']);
    h.clock.advance(6);
    expect((await edge('/content/gone/x', jar)).status).toBe(204);
    const primary = await h.fetch(`/v2/visitor/emails/${encodeURIComponent('stays@example.com')}`, {
      method: 'DELETE',
      jar,
      headers: ORIGIN,
    });
    expect(primary.status).toBe(409);
    expect(((await primary.json()) as { code: string }).code).toBe('email_is_primary');
    const removed = await h.fetch(`/v2/visitor/emails/${encodeURIComponent('gone@example.com')}`, {
      method: 'DELETE',
      jar,
      headers: ORIGIN,
    });
    expect(removed.status).toBe(204);
    expect(await access(jar)).toEqual([]);
    h.clock.advance(6); // past the edge cache
    expect((await edge('/content/gone/x', jar)).status).toBe(403);
    const again = await h.fetch(`/v2/visitor/emails/${encodeURIComponent('gone@example.com')}`, { method: 'DELETE', jar, headers: ORIGIN });
    expect(again.status).toBe(404);
    expect(((await again.json()) as { code: string }).code).toBe('email_not_found');
  });

  it('needs a full session, and a cookie-borne write from the storefront', async () => {
    expect((await h.fetch('/v2/visitor/emails')).status).toBe(401);
    const { jar } = await signedIn('csrf@example.com');
    const foreign = await h.json('/v2/visitor/emails', { email: 'x@example.com' }, { jar, headers: { origin: 'https://evil.test' } });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { code: string }).code).toBe('csrf_rejected');
    const bad = await h.json('/v2/visitor/emails', { email: 'not an address' }, { jar, headers: ORIGIN });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('invalid_email');
  });

  it('answers "own" for an address already the visitor’s, without a mail', async () => {
    const { jar } = await signedIn('mine@example.com');
    const before = h.mail.messages.length;
    const response = await h.json('/v2/visitor/emails', { email: 'MINE@example.com' }, { jar, headers: ORIGIN });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ email: 'mine@example.com', status: 'own' });
    await h.deliver();
    expect(h.mail.messages.length).toBe(before);
  });
});

describe('merging', () => {
  it('happens when both sides prove the address: the other visitor’s sessions and grants follow', async () => {
    await grant('work@example.com', '/content/work/*');
    const home = await signedIn('home@example.com');
    const work = await signedIn('work@example.com');
    expect(work.visitorId).not.toBe(home.visitorId);
    // The answer is the same as for anyone's address; the mail's reader is told on the link page.
    const mail = await add(home.jar, 'work@example.com');
    const linkPage = await (await h.fetch(Harness.pathOf(mail.link!))).text();
    expect(linkPage).toContain('data-merge-notice');
    const verified = await verify(home.jar, 'work@example.com', mail.code!);
    expect(await verified.json()).toEqual({ email: 'work@example.com', merged: true });
    expect(await access(home.jar)).toEqual(['/content/work/*']);
    h.clock.advance(6);
    expect((await edge('/content/work/x', home.jar)).status).toBe(204);
    expect((await edge('/content/work/x', work.jar)).status).toBe(204);
    // The other visitor's session is the survivor's now; the other visitor is gone.
    expect(await visitorOf(work.jar)).toBe(home.visitorId);
    expect(await h.db.many(sql`select id from visitors where id = ${work.visitorId}::uuid`)).toEqual([]);
    expect((await list(home.jar)).map((i) => [i.email, i.verified])).toEqual([
      ['home@example.com', true],
      ['work@example.com', true],
    ]);
    const audit = await h.db.many<{ kind: string }>(
      sql`select kind from audit_events where visitor_id = ${home.visitorId}::uuid and kind = 'visitors_merged'`,
    );
    expect(audit.length).toBe(1);
    // Signing in with the merged address lands on the survivor.
    expect((await signedIn('work@example.com')).visitorId).toBe(home.visitorId);
  });

  it('never happens for an unverified addition: the address still signs in as its own visitor', async () => {
    const taker = await signedIn('taker@example.com');
    await add(taker.jar, 'victim@example.com');
    const victim = await signedIn('victim@example.com');
    expect(victim.visitorId).not.toBe(taker.visitorId);
    expect((await list(taker.jar))[1]).toMatchObject({ email: 'victim@example.com', verified: false });
    expect((await list(victim.jar)).map((i) => i.email)).toEqual(['victim@example.com']);
  });

  it('never reaches another storefront', async () => {
    await grant('shared@example.com', '/content/elsewhere/*', h.other.id);
    await grant('shared@example.com', '/content/here/*');
    const { jar, visitorId } = await signedIn('local@example.com');
    const mail = await add(jar, 'shared@example.com');
    expect(await (await verify(jar, 'shared@example.com', mail.code!)).json()).toEqual({ email: 'shared@example.com', merged: false });
    expect(await access(jar)).toEqual(['/content/here/*']);
    const rows = await h.db.many<{ tenant_id: string }>(sql`select tenant_id from visitor_emails where visitor_id = ${visitorId}::uuid`);
    expect(rows.map((r) => r.tenant_id)).toEqual([h.gharart.id]);
  });
});

describe('changing the primary address', () => {
  it('needs a verified address, mails the old one a "this wasn’t me" link whose POST reverts it and ends every session', async () => {
    await grant('old@example.com', '/content/old/*');
    await grant('new@example.com', '/content/new/*');
    const { jar, visitorId } = await signedIn('old@example.com');
    const other = (await signedIn('old@example.com')).jar;
    const mail = await add(jar, 'new@example.com');
    const primaryPath = `/v2/visitor/emails/${encodeURIComponent('new@example.com')}/primary`;
    const early = await h.fetch(primaryPath, { method: 'POST', jar, headers: ORIGIN });
    expect(early.status).toBe(409);
    expect(((await early.json()) as { code: string }).code).toBe('email_not_verified');
    expect((await verify(jar, 'new@example.com', mail.code!)).status).toBe(200);

    const changed = await h.fetch(primaryPath, { method: 'POST', jar, headers: ORIGIN });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as { items: Item[] }).items.map((i) => [i.email, i.primary])).toEqual([
      ['new@example.com', true],
      ['old@example.com', false],
    ]);
    await h.deliver();
    const notice = h.mail.messages.at(-1)!;
    expect(notice.to).toBe('old@example.com');
    expect(notice.subject).toContain('was changed');
    expect(notice.link).toContain('/_edge/visitor/emails/revert/vec_');
    expect(notice.code).toBeNull();
    const me = (await (await h.fetch('/v2/visitor/me', { jar })).json()) as { visitor: { email: string } };
    expect(me.visitor.email).toBe('new@example.com');
    // Both addresses' grants still count, the old one's now as a further address.
    h.clock.advance(6);
    expect((await edge('/content/old/x', jar)).status).toBe(204);
    expect((await edge('/content/new/x', jar)).status).toBe(204);

    // GET shows; scanners opening it change nothing.
    const path = Harness.pathOf(notice.link!);
    const page = await h.fetch(path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`action="${path}"`);
    expect((await h.fetch('/v2/visitor/me', { jar })).status).toBe(200);

    // Six days later it still works; the POST reverts and ends every session.
    h.clock.advance(6 * 24 * 3600);
    const reverted = await h.form(path, {});
    expect(reverted.status).toBe(200);
    expect(await reverted.text()).toContain('data-reverted');
    expect((await h.fetch('/v2/visitor/me', { jar })).status).toBe(401);
    expect((await h.fetch('/v2/visitor/me', { jar: other })).status).toBe(401);
    const back = await signedIn('old@example.com');
    expect(back.visitorId).toBe(visitorId);
    // The changed-to address left the account: its grants no longer count.
    expect((await edge('/content/old/x', back.jar)).status).toBe(204);
    expect((await edge('/content/new/x', back.jar)).status).toBe(403);
    expect((await list(back.jar)).map((i) => i.email)).toEqual(['old@example.com']);
    // The erasure helper's reader of the changes (they hold both addresses).
    const changes = await visitorEmailChanges(h.db, visitorId);
    expect(changes.map((c) => [c.old_email, c.new_email, c.reverted_at !== null])).toEqual([['old@example.com', 'new@example.com', true]]);
    // Used once.
    expect((await h.form(path, {})).status).toBe(400);
  });

  it('refuses the revert (400, not 500) when the old address became another shopper’s meanwhile', async () => {
    const { jar } = await signedIn('lost-old@example.com');
    const mail = await add(jar, 'lost-new@example.com');
    expect((await verify(jar, 'lost-new@example.com', mail.code!)).status).toBe(200);
    const primaryPath = `/v2/visitor/emails/${encodeURIComponent('lost-new@example.com')}/primary`;
    expect((await h.fetch(primaryPath, { method: 'POST', jar, headers: ORIGIN })).status).toBe(200);
    await h.deliver();
    const path = Harness.pathOf(h.mail.messages.at(-1)!.link!);
    const removed = await h.fetch(`/v2/visitor/emails/${encodeURIComponent('lost-old@example.com')}`, {
      method: 'DELETE',
      jar,
      headers: ORIGIN,
    });
    expect(removed.status).toBe(204);
    await signedIn('lost-old@example.com'); // now a shopper of its own
    const refused = await h.form(path, {});
    expect(refused.status).toBe(400);
    expect((await h.fetch('/v2/visitor/me', { jar })).status).toBe(200); // nothing changed
  });

  it('the revert link expires after 7 days', async () => {
    const { jar } = await signedIn('slow@example.com');
    const mail = await add(jar, 'slow-new@example.com');
    expect((await verify(jar, 'slow-new@example.com', mail.code!)).status).toBe(200);
    const primaryPath = `/v2/visitor/emails/${encodeURIComponent('slow-new@example.com')}/primary`;
    expect((await h.fetch(primaryPath, { method: 'POST', jar, headers: ORIGIN })).status).toBe(200);
    await h.deliver();
    const path = Harness.pathOf(h.mail.messages.at(-1)!.link!);
    h.clock.advance(7 * 24 * 3600 + 1);
    expect((await h.fetch(path)).status).toBe(410);
    expect((await h.form(path, {})).status).toBe(410);
  });
});

describe('limits', () => {
  it('refuses an eleventh verification mail in an hour for one visitor (429)', async () => {
    const { jar } = await signedIn('busy@example.com');
    for (let i = 0; i < 10; i++) {
      const response = await h.json(
        '/v2/visitor/emails',
        { email: `busy-${i}@example.com` },
        { jar, headers: ORIGIN, ip: `192.0.2.${i + 1}` },
      );
      expect(response.status).toBe(202);
    }
    const refused = await h.json('/v2/visitor/emails', { email: 'busy-x@example.com' }, { jar, headers: ORIGIN, ip: '192.0.2.99' });
    expect(refused.status).toBe(429);
    await h.deliver();
  });

  it('sends at most 5 mails an hour to one address, answering the same past that', async () => {
    const { jar } = await signedIn('asker@example.com');
    const before = h.mail.messages.filter((m) => m.to === 'target@example.com').length;
    for (let i = 0; i < 7; i++) {
      const response = await h.json(
        '/v2/visitor/emails',
        { email: 'target@example.com' },
        { jar, headers: ORIGIN, ip: `198.51.100.${i + 1}` },
      );
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ email: 'target@example.com', status: 'sent' });
    }
    await h.deliver();
    expect(h.mail.messages.filter((m) => m.to === 'target@example.com').length - before).toBe(5);
  });

  it('burns the proof after 5 wrong codes', async () => {
    const { jar } = await signedIn('guesser@example.com');
    const mail = await add(jar, 'guessed@example.com');
    const wrong = mail.code === '123456' ? '654321' : '123456';
    for (let i = 0; i < 5; i++) expect((await verify(jar, 'guessed@example.com', wrong)).status).toBe(400);
    const spent = await verify(jar, 'guessed@example.com', mail.code!);
    expect(spent.status).toBe(429);
    expect(((await spent.json()) as { code: string }).code).toBe('code_attempts_exceeded');
  });
});

describe('the addresses page', () => {
  it('lists the addresses and adds one by form', async () => {
    const { jar } = await signedIn('pager@example.com');
    const page = await h.fetch('/_edge/visitor/emails', { jar });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('data-address="pager@example.com"');
    const added = await h.form('/_edge/visitor/emails/add', { email: 'paged@example.com' }, { jar });
    expect(added.status).toBe(200);
    expect(await added.text()).toContain('data-sent');
    await h.deliver();
    const code = h.mail.messages.at(-1)!.code!;
    const verified = await h.form('/_edge/visitor/emails/verify', { email: 'paged@example.com', code }, { jar });
    expect(verified.status).toBe(303);
    expect((await list(jar))[1]).toMatchObject({ email: 'paged@example.com', verified: true });
    const german = await h.fetch('/_edge/visitor/emails', { jar, headers: { 'accept-language': 'de' } });
    expect(await german.text()).toContain('Ihre E-Mail-Adressen');
    // The diagnostics page a signed-in shopper already knows leads there.
    await h.fetch('/_edge/visitor/diagnostics', { jar }); // sets its test cookie, answers 303
    const diagnostics = await h.fetch('/_edge/visitor/diagnostics?check=1', { jar });
    expect(await diagnostics.text()).toContain('<a href="/_edge/visitor/emails" data-addresses-link>Your email addresses</a>');
  });
});

describe('the console', () => {
  it('lists a shopper’s addresses, and an operator merges two shoppers after a confirmation naming both addresses (audited)', async () => {
    const now = h.clock.now();
    await upsertOperator(h.db, { email: 'merge-admin@ops.test', role: 'admin', tenantIds: [], now });
    await upsertOperator(h.db, { email: 'merge-outsider@ops.test', role: 'admin', tenantIds: [h.other.id], now });
    const admin = await new ConsoleClient(h, 'merge-admin@ops.test', '192.0.2.60').signIn();
    await grant('console-b@example.com', '/content/console-b/*');
    const a = await signedIn('console-a@example.com');
    const b = await signedIn('console-b@example.com');
    await add(a.jar, 'console-pending@example.com');
    const page = await (await admin.get(`/console/tenants/gharart/shopper?email=${encodeURIComponent('console-a@example.com')}`)).text();
    expect(page).toContain('Addresses <span class="count">2</span>');
    expect(page).toContain('data-address="console-pending@example.com"');
    expect(page).toContain('not confirmed');
    // The typed other address goes to a confirmation that names both.
    const confirm = await admin.post('/console/tenants/gharart/confirm', {
      csrf: admin.csrf,
      action: 'visitors-merge',
      email: 'console-a@example.com',
      other: 'console-b@example.com',
    });
    expect(confirm.status).toBe(200);
    const confirmation = await confirm.text();
    expect(confirmation).toContain('Merge <strong>console-b@example.com</strong> into <strong>console-a@example.com</strong>');
    // Nothing changed yet.
    expect(await visitorOf(b.jar)).toBe(b.visitorId);
    const done = await admin.action('gharart', 'visitors-merge', { email: 'console-a@example.com', other: 'console-b@example.com' });
    expect(done.status).toBe(303);
    const ref = refOf(done);
    expect(await visitorOf(b.jar)).toBe(a.visitorId);
    expect(await access(a.jar)).toEqual(['/content/console-b/*']);
    // The shopper page shows the grants of every confirmed address, each saying which.
    const merged = await (await admin.get(`/console/tenants/gharart/shopper?email=${encodeURIComponent('console-a@example.com')}`)).text();
    expect(merged).toContain('<code>/content/console-b/*</code>');
    expect(merged).toContain('<dt>Address</dt><dd>console-b@example.com</dd>');
    const audit = await h.db.many<{ actor: string; visitor_id: string }>(
      sql`select actor, visitor_id from audit_events where request_id = ${ref} and kind = 'visitors_merged'`,
    );
    expect(audit.length).toBe(1);
    expect(audit[0]!.actor.startsWith('operator:')).toBe(true);
    expect(audit[0]!.visitor_id).toBe(a.visitorId);
    // Done twice: they are one shopper already.
    const again = await admin.action('gharart', 'visitors-merge', { email: 'console-a@example.com', other: 'console-b@example.com' });
    expect(again.status).toBe(404);
    // An operator of another storefront cannot (not even see that the storefront exists).
    const outsider = await new ConsoleClient(h, 'merge-outsider@ops.test', '192.0.2.61').signIn();
    const refused = await outsider.action('gharart', 'visitors-merge', { email: 'console-a@example.com', other: 'x@example.com' });
    expect(refused.status).toBe(404);
  });
});
