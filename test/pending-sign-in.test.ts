// Sign in where you started (issue #17), black-box through the real app: the browser that asked
// for a link waits (GET /v2/visitor/auth/pending, the check-email page), the link opened on another
// device approves it by the number the first screen shows, or rejects it with a wrong one; in-app
// browsers get that choice first. Every branch of the contract in docs/api.md.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertOperator } from '../src/console/operators.ts';
import { createPat } from '../src/credentials/pats.ts';
import { sql } from '../src/db/sql.ts';
import { setOverride } from '../src/limits/policies.ts';
import { hashToken } from '../src/tokens/tokens.ts';
import { unseal } from '../src/tokens/sealed.ts';
import { createEndpoint } from '../src/webhooks/endpoints.ts';
import { ConsoleClient } from './console-client.ts';
import { CookieJar, Harness } from './support/harness.ts';

const HOLD_SECONDS = 1;
const PENDING = '__Host-visitor_pending';
const SESSION = '__Host-visitor_session';
const INSTAGRAM =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 307.0.0.34.111 (iPhone14,5; iOS 17_1; en_US; en; scale=3.00; 1170x2532; 532277952)';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start({ env: { PENDING_HOLD_SECONDS: String(HOLD_SECONDS) } });
});
afterAll(() => h.close());

let ipCounter = 0;
/** Each scenario from its own addresses, clear of the other scenarios' per-IP limits. */
const freshIp = () => `198.51.100.${++ipCounter}`;

type Started = { laptop: CookieJar; number: number; expiresAt: string; path: string; code: string; ip: string };

/** The laptop asks for a link (JSON, like a storefront's sign-in form script); the mail is delivered. */
async function start(email: string, body: Record<string, unknown> = {}): Promise<Started> {
  const laptop = new CookieJar();
  const ip = freshIp();
  const response = await h.json('/v2/visitor/auth/magic-link', { email, ...body }, { jar: laptop, ip });
  expect(response.status).toBe(202);
  const answer = (await response.json()) as { pending: { number: number; expiresAt: string } };
  await h.deliver();
  const mail = h.mail.last(email);
  return { laptop, ...answer.pending, path: Harness.pathOf(mail.link!), code: mail.code!, ip };
}

function poll(jar: CookieJar, init: { ip?: string; host?: string } = {}) {
  return h.fetch('/v2/visitor/auth/pending', { jar, ip: init.ip ?? freshIp(), host: init.host, headers: { accept: 'application/json' } });
}

/** The numbers a link page offers to pick (empty: only "Continue"). */
function choicesOf(page: string): number[] {
  return [...page.matchAll(/name="match" value="(\d+)"/g)].map((m) => Number(m[1]));
}

function pick(path: string, match: string, jar = new CookieJar(), ip = freshIp()) {
  return h.form(path, { match }, { jar, ip });
}

async function problemCode(response: Response): Promise<string> {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return ((await response.json()) as { code: string }).code;
}

describe('starting: POST /v2/visitor/auth/magic-link from a browser', () => {
  it('answers 202 with pending {number, expiresAt} (10–99) and the pending cookie, the same shape for every address', async () => {
    const numbers = new Set<number>();
    for (const email of ['known-start@example.com', 'known-start@example.com', 'never-seen@example.com']) {
      const jar = new CookieJar();
      const response = await h.json('/v2/visitor/auth/magic-link', { email }, { jar, ip: freshIp() });
      expect(response.status).toBe(202);
      const body = (await response.json()) as { status: string; pending: { number: number; expiresAt: string } };
      expect(Object.keys(body).sort()).toEqual(['pending', 'requestId', 'status']);
      expect(Number.isInteger(body.pending.number) && body.pending.number >= 10 && body.pending.number <= 99).toBe(true);
      expect(new Date(body.pending.expiresAt).getTime()).toBe(h.clock.now().getTime() + 900_000);
      expect(jar.values.get(PENDING)).toBeTruthy();
      numbers.add(body.pending.number);
    }
    await h.deliver();
  });

  it('keeps the same answer past the per-email limit (no mail): the pending sign-in waits like any other', async () => {
    const email = 'limited-start@example.com';
    for (let i = 0; i < 5; i++) await h.json('/v2/visitor/auth/magic-link', { email }, { ip: freshIp() });
    const jar = new CookieJar();
    const sixth = await h.json('/v2/visitor/auth/magic-link', { email }, { jar, ip: freshIp() });
    expect(sixth.status).toBe(202);
    const body = (await sixth.json()) as { pending: { number: number } };
    expect(body.pending.number).toBeGreaterThanOrEqual(10);
    const waiting = await poll(jar);
    expect([waiting.status, await waiting.json()]).toEqual([200, { status: 'waiting' }]);
    await h.deliver();
  });

  it('starts no pending sign-in for a storefront server (visitor:write): no number, no cookie', async () => {
    const pat = (await createPat(h.db, { tenantId: h.gharart.id, name: 'checkout', scopes: ['visitor:write'] })).token;
    const jar = new CookieJar();
    const response = await h.json(
      '/v2/visitor/auth/magic-link',
      { email: 'server-started@example.com' },
      { jar, host: 'service.test', headers: { authorization: `Bearer ${pat}` } },
    );
    expect(response.status).toBe(202);
    expect(Object.keys((await response.json()) as object).sort()).toEqual(['requestId', 'status']);
    expect(jar.values.has(PENDING)).toBe(false);
    await h.deliver();
  });

  it('keeps only the SHA-256 of the pending id, bound to its tenant; the cookie is sealed', async () => {
    const started = await start('hashed@example.com');
    const sealed = decodeURIComponent(started.laptop.values.get(PENDING)!);
    expect(sealed).not.toContain('vps_');
    const pending = await unseal<{ id: string; handle: string }>(h.deps.keys, 'cookie', sealed, PENDING);
    expect(pending?.id).toMatch(/^vps_[A-Za-z0-9_-]{43}\./);
    const rows = await h.db.many<{ id_hash: string; tenant_id: string; number: number; choices: number[] }>(sql`
      select id_hash, tenant_id, number, array_to_json(choices) as choices from pending_sign_ins where id_hash = ${hashToken(pending!.id)}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tenant_id).toBe(h.gharart.id);
    expect(rows[0]!.number).toBe(started.number);
    expect(rows[0]!.choices.map(Number)).toContain(started.number);
    const dump = JSON.stringify(await h.db.many(sql`select to_jsonb(p) as row from pending_sign_ins p`));
    expect(dump).not.toContain(pending!.id);
  });
});

describe('waiting: GET /v2/visitor/auth/pending', () => {
  it('answers 401 not_signed_in without a pending cookie, with a forged one, or with another storefront’s', async () => {
    expect(await problemCode(await poll(new CookieJar()))).toBe('not_signed_in');
    const forged = new CookieJar();
    forged.values.set(PENDING, 'not-a-sealed-value');
    expect(await problemCode(await poll(forged))).toBe('not_signed_in');
    const elsewhere = new CookieJar();
    const asked = await h.json('/v2/visitor/auth/magic-link', { email: 'two-shops@example.com' }, { jar: elsewhere, host: 'other.test' });
    expect(asked.status).toBe(202);
    const response = await poll(elsewhere); // presented on gharart's host
    expect(response.status).toBe(401);
    expect(await problemCode(response)).toBe('not_signed_in');
    await h.deliver();
  });

  it('holds a waiting answer up to PENDING_HOLD_SECONDS, then answers 200 {status: "waiting"}', async () => {
    const { laptop } = await start('waits@example.com');
    const began = Date.now();
    const response = await poll(laptop);
    expect([response.status, await response.json()]).toEqual([200, { status: 'waiting' }]);
    expect(Date.now() - began).toBeGreaterThanOrEqual(HOLD_SECONDS * 1000 - 50);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('is limited per pending sign-in (and per IP): 429 rate_limited past the quota', async () => {
    await setOverride(h.db, h.gharart.id, 'pending:per-pending', 2);
    h.deps.limiter.policies.clear();
    try {
      const { laptop, number, path } = await start('polls-a-lot@example.com');
      // A wrong pick: the polls below are answered at once (409), not held.
      expect((await pick(path, String(number === 10 ? 11 : 10))).status).toBe(409);
      expect((await poll(laptop)).status).not.toBe(429);
      expect((await poll(laptop)).status).not.toBe(429);
      const third = await poll(laptop);
      expect(third.status).toBe(429);
      expect(await problemCode(third)).toBe('rate_limited');
      expect(third.headers.get('ratelimit-policy')).toContain('"per-pending";q=2');
    } finally {
      await h.db.many(sql`delete from rate_limit_overrides where policy_name = 'pending:per-pending'`);
      h.deps.limiter.policies.clear();
    }
  });
});

describe('approving on the other device: the link page', () => {
  it('offers "Continue here" and three numbers (the right one among them, the same on every load) to a browser without the pending cookie', async () => {
    const { laptop, number, path } = await start('offers@example.com');
    const phone = new CookieJar();
    const first = await (await h.fetch(path, { jar: phone, ip: freshIp() })).text();
    const again = await (await h.fetch(path, { jar: phone, ip: freshIp() })).text();
    const choices = choicesOf(first);
    expect(choices).toHaveLength(3);
    expect(new Set(choices).size).toBe(3);
    expect(choices).toContain(number);
    expect(choicesOf(again)).toEqual(choices);
    expect(first).toContain('Continue here');
    // The browser that asked sees only "Continue": it cannot approve itself.
    const own = await (await h.fetch(path, { jar: laptop, ip: freshIp() })).text();
    expect(choicesOf(own)).toEqual([]);
    expect(own).toContain('>Continue</button>');
  });

  it('right number: the waiting browser is signed in (once), this browser gets a page and no session, the link is used', async () => {
    const pat = { db: h.db, keys: h.deps.keys, urlPolicy: { production: false, resolve: async () => ['127.0.0.1'] } };
    await createEndpoint(
      pat,
      h.gharart.id,
      { url: 'http://localhost:9/hook', events: ['visitor.signed_in'], description: null, includeEmail: false },
      h.clock.now(),
    );
    const { laptop, number, path } = await start('approves@example.com', { returnTo: '/content/course/' });
    const pendingCookie = laptop.values.get(PENDING)!;
    const phone = new CookieJar();
    await h.fetch(path, { jar: phone, ip: freshIp(), headers: { 'user-agent': SAFARI } });
    // No test cookie needed: nothing is set on this browser.
    const approved = await pick(path, String(number), new CookieJar());
    expect(approved.status).toBe(200);
    expect(approved.headers.getSetCookie().join()).not.toContain(SESSION);
    expect(await approved.text()).toContain('data-approved');

    const signedIn = await poll(laptop);
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toEqual({ status: 'signed_in', returnTo: 'http://localhost/content/course/' });
    expect(laptop.values.get(SESSION)).toMatch(/^vs_/);
    expect(laptop.values.has(PENDING)).toBe(false);
    const me = (await (await h.fetch('/v2/visitor/me', { jar: laptop })).json()) as { visitor: { email: string }; session: { id: string } };
    expect(me.visitor.email).toBe('approves@example.com');

    // Once: the same pending id again gets no session; the tab that holds it is told it is signed in.
    const stolen = new CookieJar();
    stolen.values.set(PENDING, pendingCookie);
    const replay = await poll(stolen);
    expect(replay.status).toBe(410);
    expect(await problemCode(replay)).toBe('pending_expired');
    expect(replay.headers.getSetCookie().join()).not.toContain(SESSION);
    const otherTab = new CookieJar();
    otherTab.values.set(PENDING, pendingCookie);
    otherTab.values.set(SESSION, laptop.values.get(SESSION)!);
    const tab = await poll(otherTab);
    expect([tab.status, await tab.json()]).toEqual([200, { status: 'signed_in', returnTo: 'http://localhost/content/course/' }]);
    expect(tab.headers.getSetCookie().join()).not.toContain(`${SESSION}=vs_`);

    // The link is used: the phone gets the used page; the laptop, whose session it made, is sent on.
    expect((await h.fetch(path, { jar: new CookieJar(), ip: freshIp() })).status).toBe(409);
    const own = await h.fetch(path, { jar: laptop, ip: freshIp() });
    expect([own.status, own.headers.get('location')]).toEqual([303, 'http://localhost/content/course/']);

    // visitor.signed_in with method "link", the audit trail and the session row say what happened.
    const { session } = me;
    const hooks = await h.db.many<{ data: Record<string, unknown> }>(sql`
      select data from webhook_deliveries where type = 'visitor.signed_in' and data->>'sessionId' = ${session.id}`);
    expect(hooks.map((d) => d.data.method)).toEqual(['link']);
    const audit = await h.db.many<{ kind: string; detail: Record<string, unknown> }>(sql`
      select a.kind, a.detail from audit_events a join visitors v on v.id = a.visitor_id
      where v.email = 'approves@example.com' order by a.id`);
    expect(audit.map((a) => a.kind)).toEqual(expect.arrayContaining(['sign_in_requested', 'pending_approved', 'pending_signed_in']));
    const pendingId = audit.find((a) => a.kind === 'sign_in_requested')!.detail.pendingId;
    expect(audit.filter((a) => a.detail.pendingId === pendingId).map((a) => a.kind)).toEqual(
      expect.arrayContaining(['pending_approved', 'pending_signed_in']),
    );
  });

  it('approves at most once and signs in once, however many picks and polls race', async () => {
    const { laptop, number, path } = await start('races@example.com');
    const picks = await Promise.all(Array.from({ length: 6 }, () => pick(path, String(number))));
    // One approves; each loser is refused, as the link already used (409) or, when it read the
    // pending sign-in after the winner approved it but before the link showed used, as no longer
    // waiting (410): which one is timing, both change nothing.
    const statuses = picks.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect(statuses.slice(1).every((status) => status === 409 || status === 410)).toBe(true);
    const sealed = laptop.values.get(PENDING)!;
    const tabs = Array.from({ length: 6 }, () => new CookieJar());
    for (const tab of tabs) tab.values.set(PENDING, sealed);
    const polls = await Promise.all(tabs.map((tab) => poll(tab)));
    expect(polls.map((r) => r.status).sort()).toEqual([200, 410, 410, 410, 410, 410]);
    expect(tabs.filter((tab) => tab.values.get(SESSION)?.startsWith('vs_'))).toHaveLength(1);
    const sessions = await h.db.many(sql`
      select s.id from sessions s join visitors v on v.id = s.visitor_id where v.email = 'races@example.com'`);
    expect(sessions).toHaveLength(1);
  });

  it('wakes a held poll the moment the number is picked', async () => {
    const { laptop, number, path } = await start('wakes@example.com');
    const began = Date.now();
    const held = poll(laptop);
    await Bun.sleep(100);
    await pick(path, String(number));
    const answer = await held;
    expect(((await answer.json()) as { status: string }).status).toBe('signed_in');
    expect(Date.now() - began).toBeLessThan(HOLD_SECONDS * 1000);
  });

  it('wrong number: 409 number_mismatch, the link used up, the pending sign-in rejected, a security event recorded', async () => {
    const { laptop, number, path } = await start('mismatch@example.com');
    const phone = new CookieJar();
    const page = await (await h.fetch(path, { jar: phone, ip: freshIp() })).text();
    const wrong = choicesOf(page).find((n) => n !== number)!;
    const answer = await pick(path, String(wrong), phone);
    expect(answer.status).toBe(409);
    const html = await answer.text();
    expect(html).toContain('data-error-code>number_mismatch<');
    expect(answer.headers.getSetCookie().join()).not.toContain(SESSION);

    const rejected = await poll(laptop);
    expect(rejected.status).toBe(409);
    expect(await problemCode(rejected)).toBe('pending_rejected');
    expect(laptop.values.has(SESSION)).toBe(false);
    // The link (and so its code) is used up: the right number now gets the used page.
    expect((await pick(path, String(number))).status).toBe(409);
    const events = await h.db.many<{ detail: Record<string, unknown> }>(sql`
      select e.detail from security_events e join visitors v on v.id = e.visitor_id
      where e.kind = 'number_mismatch' and v.email = 'mismatch@example.com'`);
    expect(events).toHaveLength(1);
    expect(events[0]!.detail.picked).toBe(wrong);
    // The check-email page says so (and offers a new email), with no script to run.
    const checkEmail = await h.fetch('/_edge/visitor/check-email', { jar: laptop });
    const text = await checkEmail.text();
    expect(text).toContain('data-state="rejected"');
    expect(checkEmail.headers.get('content-security-policy')).not.toContain('script-src');
  });

  it('checks the pick like every form POST: CSRF first, then the field', async () => {
    const { number, path } = await start('csrf-pick@example.com');
    const crossSite = await h.form(path, { match: String(number) }, { ip: freshIp(), headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    for (const match of ['abc', '7', '100', '']) {
      const refused = await pick(path, match);
      expect([match, refused.status]).toEqual([match, 400]);
    }
    // Nothing was decided: the right number still works.
    expect((await pick(path, String(number))).status).toBe(200);
  });

  it('offers only "Continue here" once nothing waits: a link a storefront server asked for (410 pending_expired to a pick)', async () => {
    const pat = (await createPat(h.db, { tenantId: h.gharart.id, name: 'checkout-2', scopes: ['visitor:write'] })).token;
    await h.json(
      '/v2/visitor/auth/magic-link',
      { email: 'server-link@example.com' },
      { host: 'service.test', headers: { authorization: `Bearer ${pat}` } },
    );
    await h.deliver();
    const path = Harness.pathOf(h.mail.last('server-link@example.com').link!);
    const page = await (await h.fetch(path, { ip: freshIp() })).text();
    expect(choicesOf(page)).toEqual([]);
    const picked = await pick(path, '42');
    expect(picked.status).toBe(410);
    const html = await picked.text();
    expect(html).toContain('data-error-code>pending_expired<');
    expect(html).toContain(`action="${path}"`);
  });
});

describe('the link and the code end each other, and the pending sign-in with them', () => {
  it('"Continue here" on the other device: its session, and the waiting browser stops (410 pending_expired)', async () => {
    const { laptop, path } = await start('continued@example.com');
    const phone = new CookieJar();
    await h.fetch(path, { jar: phone, ip: freshIp() });
    const continued = await h.form(path, {}, { jar: phone, ip: freshIp() });
    expect(continued.status).toBe(303);
    expect(phone.values.get(SESSION)).toMatch(/^vs_/);
    const ended = await poll(laptop);
    expect(ended.status).toBe(410);
    expect(await problemCode(ended)).toBe('pending_expired');
  });

  it('using the code ends the link: the other device gets the used page, and no number to pick', async () => {
    const { laptop, number, path, code } = await start('coded@example.com');
    await h.fetch('/_edge/visitor/check-email', { jar: laptop });
    const signed = await h.form('/v2/visitor/auth/verify', { code }, { jar: laptop });
    expect(signed.status).toBe(303);
    const opened = await h.fetch(path, { jar: new CookieJar(), ip: freshIp() });
    expect(opened.status).toBe(409);
    expect(choicesOf(await opened.text())).toEqual([]);
    expect((await pick(path, String(number))).status).toBe(409);
  });

  it('using the link (a pick) ends the code', async () => {
    const { laptop, number, path, code } = await start('picked-then-code@example.com');
    await pick(path, String(number));
    const verify = await h.json('/v2/visitor/auth/verify', { email: 'picked-then-code@example.com', code, delivery: 'bearer' });
    expect(verify.status).toBe(409);
    expect(await problemCode(verify)).toBe('used_magic_link');
    expect((await poll(laptop)).status).toBe(200);
  });

  it('asking again ends the previous one: the older mail’s link offers only "Continue here"', async () => {
    const first = await start('asks-twice@example.com');
    const again = await h.json('/v2/visitor/auth/magic-link', { email: 'asks-twice@example.com' }, { jar: first.laptop, ip: first.ip });
    expect(again.status).toBe(202);
    await h.deliver();
    const older = await (await h.fetch(first.path, { ip: freshIp() })).text();
    expect(choicesOf(older)).toEqual([]);
    const newer = await (await h.fetch(Harness.pathOf(h.mail.last('asks-twice@example.com').link!), { ip: freshIp() })).text();
    expect(choicesOf(newer)).toHaveLength(3);
    expect((await pick(first.path, String(first.number))).status).toBe(410);
  });

  it('lives as long as its link: expired, the poll answers 410 pending_expired and the link page offers a fresh link', async () => {
    const { laptop, path } = await start('expires@example.com');
    h.clock.advance(901);
    try {
      const ended = await poll(laptop);
      expect(ended.status).toBe(410);
      expect(await problemCode(ended)).toBe('pending_expired');
      expect((await h.fetch(path, { ip: freshIp() })).status).toBe(410);
    } finally {
      h.clock.advance(-901);
    }
  });
});

describe('the check-email page', () => {
  it('shows the number and loads our one script (CSP script-src only there); the script is served immutable', async () => {
    const laptop = new CookieJar();
    const asked = await h.form('/v2/visitor/auth/magic-link', { email: 'form-waits@example.com' }, { jar: laptop, ip: freshIp() });
    expect(asked.status).toBe(303);
    const page = await h.fetch('/_edge/visitor/check-email', { jar: laptop });
    const html = await page.text();
    const number = Number(/data-pending-number>(\d+)</.exec(html)?.[1]);
    expect(number).toBeGreaterThanOrEqual(10);
    expect(html).toContain('be asked to pick');
    const src = /<script src="([^"]+)" defer><\/script>/.exec(html)?.[1];
    expect(src).toMatch(/^\/_edge\/visitor\/assets\/pending\.js\?v=[0-9a-f]{12}$/);
    expect(html).not.toMatch(/<script>/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const script = await h.fetch(src!);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(await script.text()).toContain('/v2/visitor/auth/pending');
    // A page without a pending sign-in stays script-free.
    const plain = await h.fetch('/_edge/visitor/check-email', { jar: new CookieJar() });
    expect(plain.headers.get('content-security-policy')).not.toContain('script-src');
    expect(await plain.text()).not.toContain('<script');
  });

  it('finishes an approved sign-in on a reload without JavaScript: 303 to returnTo with the session', async () => {
    const laptop = new CookieJar();
    await h.form('/v2/visitor/auth/magic-link', { email: 'no-js@example.com', returnTo: '/content/x/' }, { jar: laptop, ip: freshIp() });
    await h.deliver();
    const path = Harness.pathOf(h.mail.last('no-js@example.com').link!);
    const html = await (await h.fetch('/_edge/visitor/check-email', { jar: laptop })).text();
    const number = /data-pending-number>(\d+)</.exec(html)![1]!;
    expect((await pick(path, number)).status).toBe(200);
    const reload = await h.fetch('/_edge/visitor/check-email', { jar: laptop });
    expect([reload.status, reload.headers.get('location')]).toEqual([303, 'http://localhost/content/x/']);
    expect(laptop.values.get(SESSION)).toMatch(/^vs_/);
  });

  it('is in German for a German browser', async () => {
    const laptop = new CookieJar();
    await h.form('/v2/visitor/auth/magic-link', { email: 'deutsch@example.com' }, { jar: laptop, ip: freshIp() });
    const html = await (await h.fetch('/_edge/visitor/check-email', { jar: laptop, headers: { 'accept-language': 'de' } })).text();
    expect(html).toContain('Auf Ihrem anderen Gerät werden Sie gebeten');
  });
});

describe('in-app browsers', () => {
  it('get the number choice first, with advice to open the link in the browser; "Continue" in the app comes last', async () => {
    const started = await start('in-app@example.com');
    const { number, path } = started;
    const page = await (await h.fetch(path, { ip: freshIp(), headers: { 'user-agent': INSTAGRAM } })).text();
    expect(page).toContain('data-in-app');
    expect(choicesOf(page)).toContain(number);
    const advice = page.indexOf('data-in-app');
    const firstChoice = page.indexOf('name="match"');
    const continueHere = page.indexOf('Continue in this app instead');
    expect(advice).toBeGreaterThan(0);
    expect(advice < firstChoice && firstChoice < continueHere).toBe(true);
    // Nothing waits (the browser that asked is this one): the advice alone, then "Continue" in the app.
    const own = await (await h.fetch(path, { jar: started.laptop, ip: freshIp(), headers: { 'user-agent': INSTAGRAM } })).text();
    expect(choicesOf(own)).toEqual([]);
    expect(own).toContain('open this link there');
    expect(own).toContain('Continue in this app instead');
    // A browser is not an app: no advice.
    const safari = await (await h.fetch(path, { ip: freshIp(), headers: { 'user-agent': SAFARI } })).text();
    expect(safari).not.toContain('data-in-app');
  });

  it('are told what ua-parser-js names apps’ browsers: Facebook, TikTok, LinkedIn, the Google app, an iOS web view', async () => {
    const { isInAppBrowser } = await import('../src/magic-link/in-app.ts');
    const apps = [
      INSTAGRAM,
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/441.0.0.23.105;FBBV/;FBDV/iPhone14,5]',
      'Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 [FB_IAB/Orca-Android;FBAV/435.0.0.21.108;]',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_31.5.0 JsSdk/2.0',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.7056',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/12.58.0.31 (like Safari/8616.2.9.10.1, panda)',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/13.19.0',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/290.0.585999023 Mobile/15E148 Safari/604.1',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
      'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36',
    ];
    const browsers = [
      SAFARI,
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1',
      'curl/8.5.0',
      null,
    ];
    expect(apps.filter((ua) => !isInAppBrowser(ua))).toEqual([]);
    expect(browsers.filter((ua) => isInAppBrowser(ua))).toEqual([]);
  });
});

describe('the support console', () => {
  /** A page's text as a person reads it. */
  const textOf = (page: string) =>
    page
      .replace(/<[^>]+>/g, '')
      .replaceAll('&#39;', "'")
      .replaceAll('&amp;', '&')
      .replace(/\s+/g, ' ');

  it('shows pending sign-ins, the approval from another device and a number mismatch on the shopper page and by request id', async () => {
    await upsertOperator(h.db, { email: 'lead@ops.test', role: 'admin', tenantIds: [], now: h.clock.now() });
    const admin = await new ConsoleClient(h, 'lead@ops.test', '192.0.2.77').signIn();
    const email = 'console-story@example.com';

    // One approved from a phone (and claimed by the laptop), one rejected by a wrong pick.
    const approved = await start(email);
    const pickRight = await h.form(
      approved.path,
      { match: String(approved.number) },
      { ip: '203.0.113.9', headers: { 'user-agent': SAFARI } },
    );
    expect(pickRight.status).toBe(200);
    const claim = await h.fetch('/v2/visitor/auth/pending', { jar: approved.laptop, ip: approved.ip });
    expect(claim.status).toBe(200);
    const rejected = await start(email);
    const page = await (await h.fetch(rejected.path, { ip: freshIp() })).text();
    const wrong = choicesOf(page).find((n) => n !== rejected.number)!;
    const pickWrong = await h.form(rejected.path, { match: String(wrong) }, { ip: '203.0.113.66', headers: { 'user-agent': INSTAGRAM } });
    expect(pickWrong.status).toBe(409);

    const shopper = textOf(await (await admin.get(`/console/tenants/gharart/shopper?email=${encodeURIComponent(email)}`)).text());
    expect(shopper).toContain('Sign-ins from another device');
    expect(shopper).toContain(`Number shown${approved.number}`);
    expect(shopper).toContain('Approved fromSafari on iPhone');
    expect(shopper).toContain('Wrong number picked');
    expect(shopper).toContain('A wrong number was picked for a waiting sign-in');

    const pickPage = textOf(await (await admin.get(`/console/requests?id=${pickRight.headers.get('x-request-id')}`)).text());
    expect(pickPage).toContain('the right number picked there');
    expect(pickPage).toContain('pending_approved');
    const claimPage = textOf(await (await admin.get(`/console/requests?id=${claim.headers.get('x-request-id')}`)).text());
    expect(claimPage).toContain('the screen that asked for the link');
    expect(claimPage).toContain('pending_signed_in');
    const mismatchPage = textOf(await (await admin.get(`/console/requests?id=${pickWrong.headers.get('x-request-id')}`)).text());
    expect(mismatchPage).toContain('picked a number the shopper’s waiting screen did not show');
    expect(mismatchPage).toContain('number_mismatch');
  });
});
