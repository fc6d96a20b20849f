// The console's link page runs the shoppers' link-confirm path (magic-link/confirm.ts): a used
// console link presented again is a replay like a shopper's — one security event per link, counted,
// and every replay answered 409 (the console once wrote a second event per replay, which the
// one-event-per-link index refused with a 500).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertOperator } from '../src/console/operators.ts';
import { sql } from '../src/db/sql.ts';
import { codeOf, ConsoleClient, consoleLinkOf } from './console-client.ts';
import { Harness } from './support/harness.ts';

let h: Harness;
const OPERATOR = 'replayed-operator@ops.test';

beforeAll(async () => {
  h = await Harness.start();
  await upsertOperator(h.db, { email: OPERATOR, role: 'admin', tenantIds: [], now: h.clock.now() });
});
afterAll(() => h.close());

describe('console link confirm', () => {
  it('answers every replay of a used console link 409 and folds them into one counted security event with an audit row each', async () => {
    const owner = new ConsoleClient(h, OPERATOR, '198.51.100.201');
    await owner.requestLink();
    const path = new URL(consoleLinkOf(await owner.mail())).pathname;
    const page = await owner.get(path);
    expect(page.status).toBe(200);
    const done = await owner.post(path, { csrf: owner.jar.values.get('__Host-console_check')! });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/console/');

    const stranger = new ConsoleClient(h, OPERATOR, '203.0.113.77');
    const replays = [await stranger.get(path), await stranger.get(path), await stranger.get(path)];
    for (const replay of replays) {
      expect(replay.status).toBe(409);
      expect(codeOf(await replay.text())).toBe('used_magic_link');
    }
    const events = await h.db.many<{ kind: string; ip: string; request_id: string; occurrences: number }>(sql`
      select e.kind, e.ip, e.request_id, e.occurrences from security_events e join visitors v on v.id = e.visitor_id
      where v.email = ${OPERATOR} and e.kind = 'used_link_replayed'`);
    expect(events).toEqual([
      { kind: 'used_link_replayed', ip: '203.0.113.77', request_id: replays[2]!.headers.get('x-request-id')!, occurrences: 3 },
    ]);
    const audit = await h.db.many<{ kind: string }>(sql`
      select a.kind from audit_events a join visitors v on v.id = a.visitor_id where v.email = ${OPERATOR} and a.kind = 'link_replayed'`);
    expect(audit).toHaveLength(3);
    // The browser whose console session this link created is still just sent on.
    const again = await owner.get(path);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/console/');
  });
});
