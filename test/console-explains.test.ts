// The console explains, black-box on the real app and database: browsers by name ("Safari on
// iPhone", the raw user agent one click away), a request page that starts with one plain sentence
// (every error code has one, in step with docs/playbooks.md), a replay shown with the session and
// request that first used the link, revoke confirmations that name device, place and time, a quiet
// "Revoke all", and "Mark handled" with a note kept on the report.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { upsertOperator } from '../src/console/operators.ts';
import { deviceName } from '../src/console/device-names.ts';
import { CODE_EXPLANATIONS } from '../src/console/explanations.ts';
import { sql } from '../src/db/sql.ts';
import { ERRORS } from '../src/errors.ts';
import { codeOf, ConsoleClient, linkOf, refOf } from './console-client.ts';
import { CookieJar, Harness } from './support/harness.ts';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0';

let h: Harness;
let admin: ConsoleClient;
let adminId: string;

beforeAll(async () => {
  h = await Harness.start();
  adminId = (await upsertOperator(h.db, { email: 'lead@ops.test', role: 'admin', tenantIds: [], now: h.clock.now() })).operator.id;
  admin = await new ConsoleClient(h, 'lead@ops.test', '192.0.2.50').signIn();
});
afterAll(() => h.close());

/** A page's text as a person reads it: tags dropped, entities decoded, spaces folded. */
function textOf(page: string): string {
  return page
    .replace(/<[^>]+>/g, '')
    .replaceAll('&amp;', '&')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replace(/\s+/g, ' ');
}

/** The first sentence of a request page (`data-explain`), as text. */
function explanationOf(page: string): string {
  const match = /<p class="explain" data-explain>([\s\S]*?)<\/p>/.exec(page);
  if (!match) throw new Error(`no explanation on the page:\n${page.slice(0, 600)}`);
  return textOf(match[1]!).trim();
}

/** "today at 14:05 UTC", as readableTime writes a moment of the test clock's day. */
function clockWords(at: Date): string {
  return `today at ${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')} UTC`;
}

const shopperPath = (email: string) => `/console/tenants/gharart/shopper?email=${encodeURIComponent(email)}`;

/** A shopper signs in by link in a given browser and place; returns the link's path and the requests. */
async function signInFrom(email: string, userAgent: string, ip: string) {
  const mail = await h.requestLink(email);
  const path = Harness.pathOf(mail.link!);
  const jar = new CookieJar();
  await h.fetch(path, { jar, ip, headers: { 'user-agent': userAgent } });
  const at = h.clock.now();
  const signedIn = await h.form(path, {}, { jar, ip, headers: { 'user-agent': userAgent } });
  expect(signedIn.status).toBe(303);
  const [session] = await h.db.many<{ id: string }>(sql`
    select s.id from sessions s join visitors v on v.id = s.visitor_id where v.email = ${email} order by s.created_at desc limit 1`);
  return { path, at, requestId: signedIn.headers.get('x-request-id')!, sessionId: session!.id };
}

describe('browsers by name', () => {
  it('names the common browsers as people say them, and tools by their product', () => {
    expect(deviceName(IPHONE)).toBe('Safari on iPhone');
    expect(deviceName(WINDOWS)).toBe('Chrome on Windows');
    expect(deviceName(LINUX)).toBe('Firefox on Linux');
    expect(
      deviceName('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15'),
    ).toBe('Safari on Mac');
    expect(
      deviceName('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36'),
    ).toBe('Chrome on Android');
    expect(deviceName('curl/8.5.0')).toBe('curl');
    expect(deviceName(null)).toBe('an unknown browser');
  });

  it('shows sessions and security events with the browser’s name, the raw user agent kept in a details element', async () => {
    const { path } = await signInFrom('named@example.com', IPHONE, '203.0.113.7');
    const stranger = new CookieJar();
    await h.fetch(path, { jar: stranger, ip: '198.51.100.9', headers: { 'user-agent': WINDOWS } });
    expect((await h.form(path, {}, { jar: stranger, ip: '198.51.100.9', headers: { 'user-agent': WINDOWS } })).status).toBe(409);
    const page = await (await admin.get(shopperPath('named@example.com'))).text();
    const escaped = (ua: string) => ua.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
    // The session list.
    expect(page).toContain(`<details class="ua"><summary>Safari on iPhone</summary><code>${escaped(IPHONE)}</code></details>`);
    // The security event of the replay: the replaying browser.
    expect(page).toContain(`<details class="ua"><summary>Chrome on Windows</summary><code>${escaped(WINDOWS)}</code></details>`);
    expect(page).not.toMatch(new RegExp(`<dd>${escaped(IPHONE).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</dd>`));
  });
});

describe('the request page’s first sentence', () => {
  it('has one sentence for every error code, and the codes a playbook covers name that playbook (docs/playbooks.md)', () => {
    const missing = Object.keys(ERRORS).filter((code) => !CODE_EXPLANATIONS[code as keyof typeof ERRORS]?.sentence);
    expect(missing).toEqual([]);
    for (const [code, { sentence }] of Object.entries(CODE_EXPLANATIONS)) {
      expect([code, (sentence.match(/\. /g) ?? []).length, sentence.endsWith('.')]).toEqual([code, 0, true]); // one sentence
    }
    // Each numbered playbook and the codes it answers with (`410 expired_magic_link`).
    const doc = readFileSync(new URL('../docs/playbooks.md', import.meta.url), 'utf8');
    const sections = doc.split(/^## (?=\d+\. )/m).slice(1);
    const codesOfPlaybook = new Map(
      sections.map((section) => [
        Number(/^(\d+)\./.exec(section)![1]),
        new Set([...section.matchAll(/`\d{3} ([a-z_]+)`/g)].map((m) => m[1]!)),
      ]),
    );
    expect(codesOfPlaybook.size).toBe(11);
    for (const [playbook, codes] of codesOfPlaybook) {
      for (const code of codes) {
        expect([code, CODE_EXPLANATIONS[code as keyof typeof ERRORS]?.playbook]).toEqual([code, playbook]);
      }
    }
    for (const [code, { sentence, playbook }] of Object.entries(CODE_EXPLANATIONS)) {
      if (playbook === null) continue;
      expect([code, codesOfPlaybook.get(playbook)?.has(code)]).toEqual([code, true]);
      expect(sentence).toContain(`(playbook ${playbook})`);
    }
  });

  it('says who signed in on which browser, from where and when, for a successful sign-in', async () => {
    const { requestId, at } = await signInFrom('happy@example.com', IPHONE, '203.0.113.7');
    const page = await (await admin.get(`/console/requests?id=${requestId}`)).text();
    expect(explanationOf(page)).toBe(
      `The shopper signed in on Safari on iPhone from 203.0.113.7 ${clockWords(at)} (just now) with their link; nothing to do, unless that was not them: then revoke the session on their shopper page.`,
    );
    // It is the first thing of the result, before the facts.
    expect(page.indexOf('data-explain')).toBeLessThan(page.indexOf('<dt>Route</dt>'));
    expect(page).toContain('<summary>Safari on iPhone</summary>'); // "Client"
  });

  it('gives an error answer its code’s sentence (an expired link: playbook 1)', async () => {
    const mail = await h.requestLink('late@example.com');
    h.clock.advance(16 * 60);
    const expired = await h.fetch(Harness.pathOf(mail.link!));
    expect(expired.status).toBe(410);
    const page = await (await admin.get(`/console/requests?id=${expired.headers.get('x-request-id')}`)).text();
    expect(explanationOf(page)).toBe(CODE_EXPLANATIONS.expired_magic_link.sentence);
  });
});

describe('a replayed link', () => {
  it('links the request and the session that first used it, on the shopper page and on the replay’s request page', async () => {
    const email = 'forwarded@example.com';
    const first = await signInFrom(email, LINUX, '203.0.113.20');
    h.clock.advance(5 * 60);
    const stranger = new CookieJar();
    await h.fetch(first.path, { jar: stranger, ip: '198.51.100.30', headers: { 'user-agent': WINDOWS } });
    const replay = await h.form(first.path, {}, { jar: stranger, ip: '198.51.100.30', headers: { 'user-agent': WINDOWS } });
    expect(replay.status).toBe(409);

    const shopper = await (await admin.get(shopperPath(email))).text();
    const sessionHref = `${shopperPath(email)}#session-${first.sessionId}`.replaceAll('&', '&amp;');
    expect(shopper).toContain(`<a href="${sessionHref}" data-first-session><code>${first.sessionId}</code></a>`);
    expect(shopper).toContain(`<li class="item" id="session-${first.sessionId}">`);
    expect(shopper).toContain(`<a href="/console/requests?id=${first.requestId}"><code>${first.requestId}</code></a>`);
    expect(textOf(shopper)).toContain('The link was first used on Firefox on Linux from 203.0.113.20; it was opened again elsewhere.');

    const page = await (await admin.get(`/console/requests?id=${replay.headers.get('x-request-id')}`)).text();
    expect(explanationOf(page)).toBe(CODE_EXPLANATIONS.used_magic_link.sentence);
    expect(page).toContain(`<a href="${sessionHref}" data-first-session>`);
    expect(page).toContain(`/console/requests?id=${first.requestId}`);
    // The first use's request page says who signed in there.
    const used = await (await admin.get(`/console/requests?id=${first.requestId}`)).text();
    expect(explanationOf(used)).toStartWith('The shopper signed in on Firefox on Linux from 203.0.113.20');
  });
});

describe('revoking', () => {
  it('asks with the device, place and time of the session: “Revoke the session on Safari on iPhone, signed in from … today at … (12 minutes ago)?”', async () => {
    const email = 'revoke-named@example.com';
    const { at, sessionId } = await signInFrom(email, IPHONE, '203.0.113.7');
    h.clock.advance(12 * 60);
    const shopper = await (await admin.get(shopperPath(email))).text();
    const confirm = await admin.get(linkOf(shopper, 'Revoke this session…'));
    expect(confirm.status).toBe(200);
    const text = textOf(await confirm.text());
    expect(text).toContain(`Revoke the session on Safari on iPhone, signed in from 203.0.113.7 ${clockWords(at)} (12 minutes ago)?`);
    expect(text).toContain(sessionId);
  });

  it('“Revoke all” names every live session, and is a quiet button after the routine actions', async () => {
    const email = 'two-devices@example.com';
    await signInFrom(email, IPHONE, '203.0.113.7');
    await signInFrom(email, WINDOWS, '198.51.100.40');
    const shopper = await (await admin.get(shopperPath(email))).text();
    const actions = /<section class="card"><h2>Actions<\/h2>[\s\S]*?<\/section>/.exec(shopper)![0];
    expect(actions.indexOf('Re-send sign-in link…')).toBeLessThan(actions.indexOf('Revoke all 2 active sessions…'));
    expect(actions).toMatch(/<a class="btn danger-quiet after" href="[^"]+">Revoke all 2 active sessions…<\/a>/);
    expect(shopper).not.toContain('class="btn danger"'); // no filled red button on the page
    const text = textOf(await (await admin.get(linkOf(shopper, 'Revoke all 2 active sessions…'))).text());
    expect(text).toContain(`Revoke all 2 sessions of ${email}:`);
    expect(text).toContain('on Chrome on Windows, signed in from 198.51.100.40 today at');
    expect(text).toContain('on Safari on iPhone, signed in from 203.0.113.7 today at');
  });
});

describe('mark handled', () => {
  async function fileReport(summary: string): Promise<string> {
    const filed = await h.json(
      '/v2/support/report',
      { handle: 'gharart', summary, details: 'It says expired.' },
      { headers: { origin: 'http://localhost' } },
    );
    expect(filed.status).toBe(201);
    return ((await filed.json()) as { reportId: string }).reportId;
  }

  it('takes a note on its confirmation, keeps it (redacted) with who and when, shows it on the report and audits it', async () => {
    const reportId = await fileReport('Note me');
    const tenantPage = await (await admin.get('/console/tenants/gharart')).text();
    const confirm = await (await admin.get(linkOf(tenantPage.slice(tenantPage.indexOf('Note me')), 'Mark handled…'))).text();
    expect(confirm).toContain('<textarea id="handled-note" name="note" rows="4" maxlength="1000"');
    const note = 'Re-sent the link; it works.\nThey had pasted http://localhost/_edge/visitor/access/t/vml_secret123 in chat.';
    const done = await admin.action('gharart', 'report-handled', { report: reportId, note });
    expect(done.status).toBe(303);
    const stored = await h.db.one<{ status: string; handled_by: string; handled_note: string }>(
      sql`select status, handled_by, handled_note from support_reports where id = ${reportId}::uuid`,
    );
    expect(stored).toEqual({
      status: 'handled',
      handled_by: `operator:${adminId}`,
      handled_note: 'Re-sent the link; it works.\nThey had pasted http://localhost/_edge/visitor/access/t/[redacted] in chat.',
    });
    const [audit] = await h.db.many<{ kind: string; actor: string; detail: Record<string, unknown> }>(
      sql`select kind, actor, detail from audit_events where request_id = ${refOf(done)}`,
    );
    expect(audit).toEqual({
      kind: 'report_handled',
      actor: `operator:${adminId}`,
      detail: { reportId, alreadyHandled: false, note: stored!.handled_note },
    });
    const after = await (await admin.get('/console/tenants/gharart')).text();
    const item = after.slice(after.indexOf('Note me'));
    expect(textOf(item.slice(0, item.indexOf('Report id')))).toMatch(/Handled.* by lead@ops\.test Note/);
    expect(item).toContain(
      '<dd class="note" data-handled-note>Re-sent the link; it works.\nThey had pasted http://localhost/_edge/visitor/access/t/[redacted] in chat.</dd>',
    );
  });

  it('refuses a note over 1000 characters with a 400 page, and the report stays open', async () => {
    const reportId = await fileReport('Too long a note');
    const refused = await admin.action('gharart', 'report-handled', { report: reportId, note: 'x'.repeat(1001) });
    expect(refused.status).toBe(400);
    expect(codeOf(await refused.text())).toBe('invalid_request');
    const row = await h.db.one<{ status: string }>(sql`select status from support_reports where id = ${reportId}::uuid`);
    expect(row!.status).toBe('open');
    // Without a note it is fine too (optional).
    expect((await admin.action('gharart', 'report-handled', { report: reportId })).status).toBe(303);
  });
});
