// A console session's lifetimes are settings (CONSOLE_SESSION_TTL, CONSOLE_IDLE_TIMEOUT), enforced on
// every request and named on the sign-in page it ends on; test/console.test.ts covers the defaults.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertOperator } from '../src/console/operators.ts';
import { ConsoleClient } from './console-client.ts';
import { Harness } from './support/harness.ts';

let h: Harness;
let ip = 0;
beforeAll(async () => {
  h = await Harness.start({ env: { CONSOLE_SESSION_TTL: '3600', CONSOLE_IDLE_TIMEOUT: '600' } });
});
afterAll(() => h.close());

async function signedIn(): Promise<ConsoleClient> {
  const email = `lifetimes-${++ip}@ops.test`;
  await upsertOperator(h.db, { email, role: 'admin', tenantIds: [], now: h.clock.now() });
  return new ConsoleClient(h, email, `198.51.100.${ip}`).signIn();
}

describe('console session lifetimes from the settings', () => {
  it('end after CONSOLE_IDLE_TIMEOUT without a request, and the page says how long', async () => {
    const client = await signedIn();
    h.clock.advance(9 * 60);
    expect((await client.get('/console/')).status).toBe(200);
    h.clock.advance(11 * 60);
    const idle = await client.get('/console/');
    expect(idle.headers.get('location')).toBe('/console/sign-in?notice=idle');
    expect(await (await client.get('/console/sign-in?notice=idle')).text()).toContain('ended after 10 minutes without activity');
  });

  it('end CONSOLE_SESSION_TTL after sign-in however active the operator is', async () => {
    const client = await signedIn();
    for (let elapsed = 0; elapsed + 9 * 60 < 3600; elapsed += 9 * 60) {
      h.clock.advance(9 * 60);
      expect((await client.get('/console/')).status).toBe(200);
    }
    h.clock.advance(9 * 60);
    const ended = await client.get('/console/');
    expect(ended.headers.get('location')).toBe('/console/sign-in?notice=absolute');
    expect(await (await client.get('/console/sign-in?notice=absolute')).text()).toContain('Console sessions last 60 minutes');
  });
});
