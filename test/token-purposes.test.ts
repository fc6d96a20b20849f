// Purpose-bound tokens (issue #18): every token kind is bound to its purpose in its MAC, so a token
// of one purpose is invalid everywhere else — the class of Better Auth's GHSA-965c-763c-88jm (an
// OAuth state redeemable as a magic link). Each real, correctly signed token is presented at every
// kind's route; exactly its own route takes it. (Codes are HMACs under their own subkey, bound to
// tenant and address: test/verify.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertGrant } from '../src/access/grants.ts';
import { upsertOperator } from '../src/console/operators.ts';
import { createPat } from '../src/credentials/pats.ts';
import { PENDING_COOKIE } from '../src/sessions/sessions.ts';
import { seal, unseal } from '../src/tokens/sealed.ts';
import { ConsoleClient, consoleLinkOf } from './console-client.ts';
import { CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';

let h: Harness;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  h = await Harness.start();
  const now = h.clock.now();
  await upsertGrant(
    h.db,
    h.gharart.id,
    { email: 'kinds@example.com', resource: '/orders/P-1', kind: 'order', title: null, orderId: 'P-1', expiresAt: null },
    now,
  );
  // A shopper's sign-in link (unused) and session.
  tokens['sign-in link'] = new URL((await h.requestLink('kinds@example.com')).link!).pathname.split('/').at(-1)!;
  tokens['shopper session'] = (await h.signIn('kinds@example.com')).jar.values.get('__Host-visitor_session')!;
  // A pending sign-in (a browser waiting for its number to be picked): its id rides sealed in a cookie.
  const asking = new CookieJar();
  expect((await h.json('/v2/visitor/auth/magic-link', { email: 'kinds-pending@example.com' }, { jar: asking })).status).toBe(202);
  const pending = await unseal<{ id: string }>(h.runtime.deps.keys, 'cookie', asking.values.get(PENDING_COOKIE)!, PENDING_COOKIE);
  tokens['pending sign-in'] = pending!.id;
  // A checkout handoff (unused).
  const pat = (await createPat(h.db, { tenantId: h.gharart.id, name: 'checkout', scopes: ['handoff:write'] })).token;
  const handoff = await h.json(
    '/v2/access/handoffs',
    { email: 'kinds@example.com', orderId: 'P-1' },
    { host: SERVICE_HOST, headers: { authorization: `Bearer ${pat}` } },
  );
  tokens.handoff = ((await handoff.json()) as { url: string }).url.split('/').at(-1)!;
  // An operator's console session, and a second console link (unused).
  await upsertOperator(h.db, { email: 'purposes@ops.test', role: 'admin', tenantIds: [], now });
  const operator = await new ConsoleClient(h, 'purposes@ops.test', '192.0.2.40').signIn();
  tokens['console session'] = operator.jar.values.get('__Host-console_session')!;
  const other = new ConsoleClient(h, 'purposes@ops.test', '192.0.2.41');
  expect((await other.requestLink()).status).toBe(303);
  tokens['console link'] = new URL(consoleLinkOf(await other.mail())).pathname.split('/').at(-1)!;
  // A further address's verification link (unused), and the "this wasn't me" link of a primary change.
  const { jar: owner } = await h.signIn('kinds-owner@example.com');
  const origin = { origin: 'http://localhost' };
  expect((await h.json('/v2/visitor/emails', { email: 'kinds-added@example.com' }, { jar: owner, headers: origin })).status).toBe(202);
  await h.deliver();
  tokens['address link'] = h.mail.messages.at(-1)!.token!;
  expect((await h.json('/v2/visitor/emails', { email: 'kinds-new@example.com' }, { jar: owner, headers: origin })).status).toBe(202);
  await h.deliver();
  const code = h.mail.messages.at(-1)!.code!;
  expect(
    (await h.json('/v2/visitor/emails/verify', { email: 'kinds-new@example.com', code }, { jar: owner, headers: origin })).status,
  ).toBe(200);
  const primary = await h.fetch('/v2/visitor/emails/kinds-new%40example.com/primary', { method: 'POST', jar: owner, headers: origin });
  expect(primary.status).toBe(200);
  await h.deliver();
  tokens['revert link'] = h.mail.messages.at(-1)!.token!;
});
afterAll(() => h.close());

const cookie = (name: string, value: string) => {
  const jar = new CookieJar();
  jar.values.set(name, value);
  return jar;
};

/** Does the route take this token? Only looks: nothing here consumes a link. */
const ROUTES: Record<string, (token: string) => Promise<boolean>> = {
  'sign-in link': async (token) => (await h.fetch(`/_edge/visitor/access/t/${token}`)).status === 200,
  handoff: async (token) => (await h.fetch(`/_edge/visitor/access/h/${token}`)).status === 200,
  'console link': async (token) => (await h.fetch(`/console/t/${token}`, { host: SERVICE_HOST })).status === 200,
  'address link': async (token) => (await h.fetch(`/_edge/visitor/emails/t/${token}`)).status === 200,
  'revert link': async (token) => (await h.fetch(`/_edge/visitor/emails/revert/${token}`)).status === 200,
  'shopper session': async (token) => {
    const byCookie = (await h.fetch('/v2/visitor/me', { jar: cookie('__Host-visitor_session', token) })).status === 200;
    const byBearer =
      (await h.fetch('/v2/visitor/me', { host: SERVICE_HOST, headers: { authorization: `Bearer ${token}` } })).status === 200;
    const atEdge =
      (await h.fetch('/_edge/visitor/access', { headers: { 'x-original-uri': '/orders/P-1', cookie: `__Host-visitor_session=${token}` } }))
        .status === 204;
    expect([token.slice(0, 4), byCookie, byBearer]).toEqual([token.slice(0, 4), atEdge, atEdge]);
    return atEdge;
  },
  // The id sealed the way the service seals it: only the cookie's content is the token under test.
  'pending sign-in': async (token) => {
    const sealed = await seal(
      h.runtime.deps.keys,
      'cookie',
      { handle: 'gharart', email: 'kinds-pending@example.com', returnTo: 'http://localhost/', id: token },
      PENDING_COOKIE,
    );
    return (await h.fetch('/v2/visitor/auth/pending', { jar: cookie(PENDING_COOKIE, sealed) })).status === 200;
  },
  'console session': async (token) =>
    (await h.fetch('/console/', { host: SERVICE_HOST, jar: cookie('__Host-console_session', token), headers: { accept: 'text/html' } }))
      .status === 200,
};

describe('purpose-bound tokens', () => {
  it('every token kind opens its own route and no other', async () => {
    expect(Object.keys(tokens).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const [route, takes] of Object.entries(ROUTES)) {
      const taken: string[] = [];
      for (const [kind, token] of Object.entries(tokens)) if (await takes(token)) taken.push(kind);
      expect([route, taken]).toEqual([route, [route]]);
    }
  });

  it('each kind has its own MAC domain: a token relabelled as another kind is refused there', async () => {
    const prefixOf = (token: string) => token.slice(0, token.indexOf('_'));
    const prefixes = Object.fromEntries(Object.entries(tokens).map(([kind, token]) => [kind, prefixOf(token)]));
    expect(new Set(Object.values(prefixes)).size).toBe(Object.keys(tokens).length);
    for (const [kind, token] of Object.entries(tokens)) {
      for (const [route, takes] of Object.entries(ROUTES)) {
        if (route === kind) continue;
        const relabelled = `${prefixes[route]}${token.slice(token.indexOf('_'))}`;
        expect([kind, route, await takes(relabelled)]).toEqual([kind, route, false]);
      }
    }
  });

  it('the verify API takes no token but a sign-in link’s', async () => {
    for (const [kind, token] of Object.entries(tokens)) {
      if (kind === 'sign-in link') continue;
      const answer = await h.json('/v2/visitor/auth/verify', { handle: 'gharart', token, delivery: 'bearer' });
      expect([kind, answer.status, ((await answer.json()) as { code: string }).code]).toEqual([kind, 400, 'invalid_magic_link']);
    }
  });
});
