import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { MAX_BATCH } from '../src/access/edge-identity.ts';
import { upsertGrant } from '../src/access/grants.ts';
import { sql } from '../src/db/sql.ts';
import { mintToken } from '../src/tokens/tokens.ts';
import { CookieJar, Harness } from './support/harness.ts';

let h: Harness;
let jar: CookieJar;
let visitorId: string;

beforeAll(async () => {
  h = await Harness.start();
  await grant('edge@example.com', '/content/course-1/*');
  await grant('edge@example.com', '/orders/A-1001');
  ({ jar } = await h.signIn('edge@example.com'));
  visitorId = ((await (await h.fetch('/v2/visitor/me', { jar })).json()) as { visitor: { id: string } }).visitor.id;
});
afterAll(() => h.close());

function grant(email: string, resource: string, expiresAt: Date | null = null) {
  return upsertGrant(h.db, h.gharart.id, { email, resource, kind: 'content', title: null, orderId: null, expiresAt }, h.clock.now());
}

function edge(
  uri: string | null,
  init: { jar?: CookieJar; host?: string; headers?: Record<string, string>; via?: 'original' | 'forwarded' | 'query' } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  let path = '/_edge/visitor/access';
  if (uri !== null) {
    if (init.via === 'query') path += `?uri=${encodeURIComponent(uri)}`;
    else headers[init.via === 'forwarded' ? 'x-forwarded-uri' : 'x-original-uri'] = uri;
  }
  if (init.jar) headers.cookie = init.jar.header();
  return h.fetch(path, { host: init.host, headers });
}

function expectDecision(response: Response, status: number, reason: string | null) {
  expect([response.status, response.headers.get('x-visitor-reason')]).toEqual([status, reason]);
  expect(response.headers.get('cache-control')).toBe('private, no-store');
  expect(response.headers.get('x-request-id')).toBeTruthy();
}

describe('GET /_edge/visitor/access', () => {
  it('allows paths that are not gated without looking at the session', async () => {
    const response = await edge('/shop/tshirt?colour=red');
    expectDecision(response, 204, null);
    expect(response.headers.get('x-visitor-id')).toBeNull();
  });

  it('answers 401 with the sign-in URL (original URI, query included) when not signed in', async () => {
    const response = await edge('/content/course-1/lesson-2?t=30');
    expectDecision(response, 401, 'not_signed_in');
    expect(response.headers.get('x-visitor-login')).toBe(
      `http://localhost/_edge/visitor/sign-in?returnTo=${encodeURIComponent('/content/course-1/lesson-2?t=30')}`,
    );
  });

  it('allows a signed-in visitor with a grant covering the path, naming the visitor', async () => {
    for (const uri of [
      '/content/course-1',
      '/content/course-1/',
      '/content/course-1/lesson-2?x=1',
      '/orders/A-1001',
      '/CONTENT/course-1/x',
    ]) {
      const response = await edge(uri, { jar });
      expect([uri, response.status]).toEqual([uri, uri.startsWith('/CONTENT') ? 403 : 204]);
      if (response.status === 204) expect(response.headers.get('x-visitor-id')).toBe(visitorId);
    }
  });

  it('refuses (403 no_grant) a signed-in visitor without a grant for the path', async () => {
    for (const uri of [
      '/content/course-2/x',
      '/content/course-10',
      '/orders/A-10011',
      '/orders/A-1001/../A-1002',
      '/content/course-1/../course-2/x',
    ]) {
      const response = await edge(uri, { jar });
      expect([uri, response.status, response.headers.get('x-visitor-reason')]).toEqual([uri, 403, 'no_grant']);
    }
  });

  it('fails closed with 403 bad_path on missing or unsafe paths', async () => {
    expectDecision(await edge(null), 403, 'bad_path');
    for (const uri of [
      '/content/course-1%2f..%2fcourse-2',
      '/content/..%5c..',
      '/content/course-1;x',
      '/content/%252e%252e/x',
      '/../content/course-1',
      'content/course-1',
    ]) {
      const response = await edge(uri, { jar });
      expect([uri, response.status, response.headers.get('x-visitor-reason')]).toEqual([uri, 403, 'bad_path']);
    }
  });

  it('fails closed with 403 bad_path on Unicode look-alikes of . and /, however they are sent', async () => {
    // Granted /content/course-1/*: to this check `．．` is a literal segment under course-1, but a
    // back end that normalises Unicode would serve /content/course-2/x.
    const utf8AsLatin1 = (text: string) => String.fromCharCode(...new TextEncoder().encode(text));
    const dots: [string, string][] = [
      ['\uff0e', 'fullwidth full stop'],
      ['\u2024', 'one dot leader'],
      ['\ufe52', 'small full stop'],
      ['\u3002', 'ideographic full stop'],
    ];
    for (const [char, name] of dots) {
      const raw = `/content/course-1/${char}${char}/course-2/x`;
      const sent: [string, Promise<Response>][] = [
        ['?uri= raw', edge(raw, { jar, via: 'query' })],
        ['percent-encoded', edge(`/content/course-1/${encodeURIComponent(char + char)}/course-2/x`, { jar })],
        ['raw UTF-8 bytes in the header', edge(utf8AsLatin1(raw), { jar, via: 'forwarded' })],
      ];
      for (const [how, response] of sent) {
        const answer = await response;
        expect([name, how, answer.status, answer.headers.get('x-visitor-reason')]).toEqual([name, how, 403, 'bad_path']);
      }
    }
    for (const char of ['\uff0f', '\u2215', '\u2044', '\u29f8', '\uff3c', '\ufe68']) {
      const answer = await edge(`/content/course-1${encodeURIComponent(char)}..${encodeURIComponent(char)}course-2`, { jar });
      expect([char, answer.status, answer.headers.get('x-visitor-reason')]).toEqual([char, 403, 'bad_path']);
    }
    // Ordinary non-ASCII paths are decided as usual.
    expectDecision(await edge('/content/course-1/caf%C3%A9', { jar }), 204, null);
    expectDecision(await edge('/content/course-1/日本語', { jar, via: 'query' }), 204, null);
    expectDecision(await edge(utf8AsLatin1('/content/course-1/café'), { jar }), 204, null);
    expectDecision(await edge('/content/course-2/caf%C3%A9', { jar }), 403, 'no_grant');
  });

  it('reads the original URI from X-Original-URI, X-Forwarded-Uri or ?uri=', async () => {
    expectDecision(await edge('/content/course-1/a', { jar, via: 'forwarded' }), 204, null);
    expectDecision(await edge('/content/course-1/a', { jar, via: 'query' }), 204, null);
  });

  it('answers 403 unknown_host on a host no tenant owns, and 401 for another tenant’s session', async () => {
    expectDecision(await edge('/content/course-1', { jar, host: 'service.test' }), 403, 'unknown_host');
    expectDecision(await edge('/content/course-1', { jar, host: 'other.test' }), 401, 'not_signed_in');
  });

  it('accepts the session as a bearer token forwarded by the CDN', async () => {
    const token = jar.values.get('__Host-visitor_session')!;
    expectDecision(await edge('/content/course-1/x', { headers: { authorization: `Bearer ${token}` } }), 204, null);
  });

  it('answers from the cache without a query, and with at most one query when the cache is cold', async () => {
    await edge('/content/course-1/warm', { jar });
    let before = h.counter.queries;
    for (let i = 0; i < 20; i++) expect((await edge(`/content/course-1/${i}`, { jar })).status).toBe(204);
    expect(h.counter.queries - before).toBe(0);
    h.clock.advance(6); // past EDGE_CACHE_SECONDS
    before = h.counter.queries;
    expect((await edge('/content/course-1/cold', { jar })).status).toBe(204);
    expect(h.counter.queries - before).toBe(1);
    // A forged cookie never reaches the database.
    before = h.counter.queries;
    const forged = await edge('/content/course-1', {
      headers: { cookie: `__Host-visitor_session=vs_${'A'.repeat(43)}.${'A'.repeat(22)}` },
    });
    expect(forged.status).toBe(401);
    expect(h.counter.queries - before).toBe(0);
  });

  it('sends one tenant lookup, not one per request, when concurrent checks find the host cache cold', async () => {
    await edge('/content/course-1/warm', { jar }); // the session is cached; only the host is looked up below
    h.runtime.deps.tenants.clear();
    // The request log writes on a 250 ms timer: flush it first, or its write can land in the count.
    await h.deps.requestLog.flush();
    const before = h.counter.queries;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => edge(`/content/course-1/cold-host-${i}`, { jar })));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(204));
    expect(h.counter.queries - before).toBe(1);
  });

  it('answers concurrent cache misses for different sessions with one query, each with its own answer', async () => {
    const granted = await h.signIn('batch-granted@example.com');
    await grant('batch-granted@example.com', '/content/batch/*');
    const ungranted = await h.signIn('batch-ungranted@example.com');
    const revoked = await h.signIn('batch-revoked@example.com');
    await grant('batch-revoked@example.com', '/content/batch/*');
    await h.db.many(
      sql`update sessions set revoked_at = ${h.clock.now()} where visitor_id = (select id from visitors where email = ${'batch-revoked@example.com'})`,
    );
    const grantedId = ((await (await h.fetch('/v2/visitor/me', { jar: granted.jar })).json()) as { visitor: { id: string } }).visitor.id;
    h.clock.advance(6); // nothing cached: every check below misses
    await edge('/shop/warm-the-host');
    // The request log writes on a 250 ms timer: flush it first, or its write can land in the count.
    await h.deps.requestLog.flush();
    const before = h.counter.queries;
    const [a, b, c, a2] = await Promise.all([
      edge('/content/batch/1', { jar: granted.jar }),
      edge('/content/batch/1', { jar: ungranted.jar }),
      edge('/content/batch/1', { jar: revoked.jar }),
      edge('/content/batch/2', { jar: granted.jar }),
    ]);
    expect(h.counter.queries - before).toBe(1);
    expectDecision(a!, 204, null);
    expect(a!.headers.get('x-visitor-id')).toBe(grantedId);
    expectDecision(a2!, 204, null);
    expectDecision(b!, 403, 'no_grant');
    expectDecision(c!, 401, 'not_signed_in');
  });

  it(`splits more than ${MAX_BATCH} concurrent misses into statements of at most ${MAX_BATCH}`, async () => {
    // Well-formed tokens with our tag but no session: each must be looked up, and none is found.
    const tokens = Array.from({ length: MAX_BATCH + 6 }, () => mintToken(h.runtime.deps.keys, 'vs'));
    await edge('/shop/warm-the-host');
    // The request log writes on a 250 ms timer: flush it first, or its write can land in the count.
    await h.deps.requestLog.flush();
    const before = h.counter.queries;
    const answers = await Promise.all(
      tokens.map((token) => edge('/content/batch/x', { headers: { cookie: `__Host-visitor_session=${token}` } })),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(tokens.length).fill(401));
    expect(h.counter.queries - before).toBe(2);
  });

  it('stops honouring a revoked session or a deleted grant within the cache lifetime (5 s)', async () => {
    const { jar: other } = await h.signIn('revoke@example.com');
    await grant('revoke@example.com', '/content/r/*');
    expect((await edge('/content/r/1', { jar: other })).status).toBe(204);
    await h.db.many(sql`delete from grants where email = ${'revoke@example.com'}`);
    h.clock.advance(5);
    expect((await edge('/content/r/1', { jar: other })).status).toBe(403);
    await grant('revoke@example.com', '/content/r/*');
    h.clock.advance(5);
    expect((await edge('/content/r/1', { jar: other })).status).toBe(204);
    const logout = await h.json('/v2/visitor/auth/logout', {}, { jar: other, headers: { origin: 'http://localhost' } });
    expect(logout.status).toBe(204);
    const stale = new CookieJar();
    stale.values.set('__Host-visitor_session', (await h.signIn('revoke@example.com')).jar.values.get('__Host-visitor_session')!);
    await h.db.many(
      sql`update sessions set revoked_at = ${h.clock.now()} where visitor_id = (select id from visitors where email = ${'revoke@example.com'})`,
    );
    h.clock.advance(5);
    expect((await edge('/content/r/1', { jar: stale })).status).toBe(401);
  });

  it('does not honour an expired grant', async () => {
    const { jar: timed } = await h.signIn('timed@example.com');
    await grant('timed@example.com', '/content/t/*', new Date(h.clock.now().getTime() + 60_000));
    expect((await edge('/content/t/x', { jar: timed })).status).toBe(204);
    h.clock.advance(61);
    expect((await edge('/content/t/x', { jar: timed })).status).toBe(403);
  });

  it('fails closed with 403 unavailable (never a 5xx) when the database is gone (last test: closes it)', async () => {
    const { jar: fresh } = await h.signIn('down@example.com');
    await h.db.close();
    expectDecision(await edge('/content/x', { jar: fresh }), 403, 'unavailable');
    const me = await h.fetch('/v2/visitor/me', { jar: fresh });
    expect(me.status).toBe(503);
    expect(me.headers.get('retry-after')).toBe('5');
    expect(((await me.json()) as { code: string }).code).toBe('service_unavailable');
    expect((await h.fetch('/readyz')).status).toBe(503);
  });
});
