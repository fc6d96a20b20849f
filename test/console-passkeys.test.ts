// The console and passkeys (issue #21): the shopper's page lists their passkeys; support removes one
// (confirmed, audited as the operator), and it no longer signs in; another storefront's operator
// cannot touch it.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertOperator } from '../src/console/operators.ts';
import { sql } from '../src/db/sql.ts';
import { SoftAuthenticator } from './support/authenticator.ts';
import { ConsoleClient, linkOf, refOf } from './console-client.ts';
import { CookieJar, Harness } from './support/harness.ts';

let h: Harness;
let support: ConsoleClient;
let outsider: ConsoleClient;
let supportId: string;
let authenticator: SoftAuthenticator;
let passkeyId: string;

const SHOPPER = 'console-passkey@example.com';
const shopperPath = `/console/tenants/gharart/shopper?email=${encodeURIComponent(SHOPPER)}`;
const LOCAL = { origin: 'http://localhost' };

async function signInWithPasskey(): Promise<Response> {
  const options = await h.json('/v2/visitor/auth/passkey/options', {}, { headers: LOCAL });
  const credential = await authenticator.authenticate((await options.json()) as Record<string, unknown>, 'http://localhost');
  return h.json('/v2/visitor/auth/passkey/verify', { credential }, { headers: LOCAL, jar: new CookieJar() });
}

beforeAll(async () => {
  h = await Harness.start();
  const now = h.clock.now();
  supportId = (await upsertOperator(h.db, { email: 'support@ops.test', role: 'support', tenantIds: [h.gharart.id], now })).operator.id;
  await upsertOperator(h.db, { email: 'outsider@ops.test', role: 'support', tenantIds: [h.other.id], now });
  support = await new ConsoleClient(h, 'support@ops.test', '192.0.2.20').signIn();
  outsider = await new ConsoleClient(h, 'outsider@ops.test', '192.0.2.21').signIn();
  const { jar } = await h.signIn(SHOPPER);
  authenticator = await SoftAuthenticator.create();
  const options = await h.json('/v2/visitor/passkeys/registration/options', {}, { jar, headers: LOCAL });
  const credential = await authenticator.register((await options.json()) as Record<string, unknown>, 'http://localhost');
  const registered = await h.json('/v2/visitor/passkeys/registration/verify', { credential }, { jar, headers: LOCAL });
  passkeyId = ((await registered.json()) as { id: string }).id;
  expect((await signInWithPasskey()).status).toBe(200);
});
afterAll(() => h.close());

describe('the shopper page', () => {
  it('lists the shopper’s passkeys: host, where it lives, created, last used', async () => {
    const page = await (await support.get(shopperPath)).text();
    expect(page).toContain('Passkeys <span class="count">1 active</span>');
    expect(page).toContain(`data-passkey="${passkeyId}"`);
    expect(page).toContain('<code>localhost</code> · this device only');
    expect(page).toContain('Remove this passkey…');
  });
});

describe('the request lookup', () => {
  it('tells a passkey sign-in by its request id, and a refused one by its code', async () => {
    const signedIn = await signInWithPasskey();
    const page = await (await support.get(`/console/requests?id=${signedIn.headers.get('x-request-id')}`)).text();
    expect(page).toContain('with a passkey registered on localhost');
    const options = await h.json('/v2/visitor/auth/passkey/options', {}, { headers: LOCAL });
    const replayed = await authenticator.authenticate((await options.json()) as Record<string, unknown>, 'http://localhost');
    expect((await h.json('/v2/visitor/auth/passkey/verify', { credential: replayed }, { headers: LOCAL })).status).toBe(200);
    const again = await h.json('/v2/visitor/auth/passkey/verify', { credential: replayed }, { headers: LOCAL });
    expect(again.status).toBe(400);
    const refused = await (await support.get(`/console/requests?id=${again.headers.get('x-request-id')}`)).text();
    expect(refused).toContain('already used, older than 5 minutes');
  });
});

describe('removing a passkey', () => {
  it('an operator of another storefront cannot remove it', async () => {
    const refused = await outsider.action('gharart', 'passkey-remove', { email: SHOPPER, passkey: passkeyId });
    expect(refused.status).toBe(403);
    expect((await signInWithPasskey()).status).toBe(200);
  });

  it('asks first (naming its host), then removes it, audited as the operator; it no longer signs in', async () => {
    const page = await (await support.get(shopperPath)).text();
    const confirm = await support.get(linkOf(page, 'Remove this passkey…'));
    expect(confirm.status).toBe(200);
    const text = await confirm.text();
    expect(text).toContain('Remove this passkey?');
    expect(text).toContain('for <code>localhost</code>');
    const done = await support.action('gharart', 'passkey-remove', { email: SHOPPER, passkey: passkeyId });
    expect(done.status).toBe(303);
    const audit = await h.db.many<{ kind: string; actor: string; detail: Record<string, unknown> }>(
      sql`select kind, actor, detail from audit_events where request_id = ${refOf(done)}`,
    );
    expect(audit).toEqual([{ kind: 'passkey_removed', actor: `operator:${supportId}`, detail: { passkeyId, rpId: 'localhost' } }]);
    const refused = await signInWithPasskey();
    expect([refused.status, ((await refused.json()) as { code: string }).code]).toEqual([400, 'passkey_rejected']);
    const after = await (await support.get(done.headers.get('location')!)).text();
    expect(after).toContain('Passkey removed: it no longer signs in.');
    expect(after).toContain('Passkeys <span class="count">0 active</span>');
    expect(after).toContain('by support');
  });
});
