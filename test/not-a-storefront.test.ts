// "This host is not a storefront." on the hosted pages: in development, someone who opened the
// service by its loopback address (127.0.0.1, [::1]) is told the address that works (PUBLIC_URL,
// where the demo storefront lives); any other host, and every host in production, gets no hint.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Harness } from './support/harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await Harness.start({ env: { NODE_ENV: 'development', PUBLIC_URL: 'http://localhost:3000' } });
});
afterAll(() => h.close());

const NOT_A_STOREFRONT = 'This host is not a storefront.';

async function problemAt(path: string, host: string): Promise<{ status: number; code: string; detail: string }> {
  const answer = await h.fetch(path, { host });
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  const body = (await answer.json()) as { code: string; detail: string };
  return { status: answer.status, code: body.code, detail: body.detail };
}

describe('not a storefront, in development', () => {
  it('on 127.0.0.1 and [::1] names PUBLIC_URL as the host to open instead', async () => {
    for (const [path, host] of [
      ['/_edge/visitor/sign-in', '127.0.0.1:3000'],
      ['/_edge/visitor/check-email', '127.0.0.1:3000'],
      ['/_edge/visitor/sign-in?returnTo=%2Fcontent%2F', '[::1]:3000'],
    ] as const) {
      const pathname = path.split('?')[0];
      expect([host, await problemAt(path, host)]).toEqual([
        host,
        { status: 404, code: 'not_found', detail: `${NOT_A_STOREFRONT} Open http://localhost:3000${pathname} instead.` },
      ]);
    }
  });

  it('says it on the HTML error page too', async () => {
    const answer = await h.fetch('/_edge/visitor/sign-in', { host: '127.0.0.1:3000', headers: { accept: 'text/html' } });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await answer.text();
    expect(page).toContain(`${NOT_A_STOREFRONT} Open http://localhost:3000/_edge/visitor/sign-in instead.`);
    // …and leads there: the same page (its query kept) where it works.
    expect(page).toContain(
      '<p><a href="http://localhost:3000/_edge/visitor/sign-in">Open http://localhost:3000/_edge/visitor/sign-in</a></p>',
    );
    const withQuery = await h.fetch('/_edge/visitor/sign-in?returnTo=%2Fcontent%2F', {
      host: '[::1]:3000',
      headers: { accept: 'text/html' },
    });
    expect(await withQuery.text()).toContain('<a href="http://localhost:3000/_edge/visitor/sign-in?returnTo=%2Fcontent%2F">');
  });

  it('names no other address on the HTML page of a host that is not loopback', async () => {
    const answer = await h.fetch('/_edge/visitor/sign-in', { host: 'unknown.test', headers: { accept: 'text/html' } });
    expect(answer.status).toBe(404);
    expect(await answer.text()).not.toContain('<a href=');
  });

  it('gives no hint on a host that is not loopback', async () => {
    expect(await problemAt('/_edge/visitor/sign-in', 'unknown.test')).toEqual({ status: 404, code: 'not_found', detail: NOT_A_STOREFRONT });
    expect(await problemAt('/_edge/visitor/sign-in', '10.0.0.7:3000')).toEqual({
      status: 404,
      code: 'not_found',
      detail: NOT_A_STOREFRONT,
    });
  });
});

describe('not a storefront, in production', () => {
  beforeAll(() =>
    h.boot({
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://access.example.com',
      // Required in production; unused, the harness hands the runtime its own database.
      DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
    }),
  );

  it('names no other address on the HTML page, not even on a loopback host', async () => {
    const answer = await h.fetch('/_edge/visitor/sign-in', { host: '127.0.0.1', headers: { accept: 'text/html' } });
    expect(answer.status).toBe(404);
    expect(await answer.text()).not.toContain('<a href=');
  });

  it('gives no hint, not even on a loopback host', async () => {
    for (const host of ['127.0.0.1', '[::1]', 'unknown.test'])
      expect([host, await problemAt('/_edge/visitor/sign-in', host)]).toEqual([
        host,
        { status: 404, code: 'not_found', detail: NOT_A_STOREFRONT },
      ]);
  });
});
