import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Raw, sql } from '../src/db/sql.ts';
import { deriveKeyRing } from '../src/tokens/keys.ts';
import { verifyToken } from '../src/tokens/tokens.ts';
import { CookieJar, Harness, SECRET_A, SECRET_B } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

/** Every row of every table of ours, as text — what a database dump would contain. */
async function dumpAllTables(): Promise<string> {
  const tables = await h.db.many<{ table_name: string }>(sql`
    select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`);
  expect(tables.length).toBeGreaterThan(5);
  let dump = '';
  for (const { table_name } of tables) {
    const rows = await h.db.many<{ row: unknown }>(sql`select to_jsonb(t) as row from ${rawIdent(table_name)} t`);
    dump += JSON.stringify(rows);
  }
  return dump;
}

function rawIdent(name: string) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error('unexpected table name');
  return new Raw(name);
}

describe('secrets at rest and in logs', () => {
  it('never stores or logs a raw link token, code or session token', async () => {
    const mail = await h.requestLink('secret@example.com');
    const path = Harness.pathOf(mail.link!);
    const jar = new CookieJar();
    await h.fetch(path, { jar });
    await h.form(path, {}, { jar });
    await h.fetch(path, { jar: new CookieJar() }); // a replay, logged
    const sessionToken = jar.values.get('__Host-visitor_session')!;
    const bearer = await h.requestLink('secret2@example.com');
    const verify = await h.json('/v2/visitor/auth/verify', { email: 'secret2@example.com', code: bearer.code, delivery: 'bearer' });
    const { sessionToken: bearerToken } = (await verify.json()) as { sessionToken: string };
    await h.fetch('/v2/visitor/me', { host: 'service.test', headers: { authorization: `Bearer ${bearerToken}` } });
    const dump = await dumpAllTables();
    const logs = h.logs.join('\n');
    for (const secret of [mail.token!, sessionToken, bearer.token!, bearerToken]) {
      expect(secret.length).toBeGreaterThan(60);
      expect(dump.includes(secret)).toBe(false);
      expect(logs.includes(secret)).toBe(false);
      // Not even the random part alone (after the prefix; base64url itself may contain `_`).
      const random = secret.slice(secret.indexOf('_') + 1).slice(0, 30);
      expect(dump.includes(random)).toBe(false);
      expect(logs.includes(random)).toBe(false);
    }
    for (const code of [mail.code!, bearer.code!]) expect(logs.includes(`"${code}"`)).toBe(false);
    expect(logs).toContain('/_edge/visitor/access/t/[redacted]');
  });

  it('mints ≥ 256-bit random tokens that differ every time', async () => {
    const a = await h.requestLink('entropy@example.com');
    const b = await h.requestLink('entropy@example.com');
    expect(a.token).not.toBe(b.token);
    const random = a.token!.slice(4, 4 + 43);
    expect(Buffer.from(random, 'base64url').length).toBe(32);
  });

  it('keeps old links working after TOKEN_SECRET rotation, and signs new ones with the new secret', async () => {
    const old = await h.requestLink('rotate@example.com'); // signed with A
    // Queue one more mail under A: its encrypted payload must still be readable after rotation.
    await h.json('/v2/visitor/auth/magic-link', { email: 'rotate-queued@example.com' });
    await h.boot({ TOKEN_SECRET: `${SECRET_B},${SECRET_A}` });
    await h.deliver();
    const queued = h.mail.last('rotate-queued@example.com');
    const onlyB = await deriveKeyRing([SECRET_B]);
    const onlyA = await deriveKeyRing([SECRET_A]);
    expect(verifyToken(onlyA, 'vml', queued.token!)).toBe(true);
    const fresh = await h.requestLink('rotate@example.com');
    expect(verifyToken(onlyB, 'vml', fresh.token!)).toBe(true);
    expect(verifyToken(onlyA, 'vml', fresh.token!)).toBe(false);
    // The old link (and its code hash, keyed by A) still work.
    const response = await h.json('/v2/visitor/auth/verify', { token: old.token });
    expect(response.status).toBe(200);
    // Dropping A: its links are no longer accepted.
    const older = await h.requestLink('rotate-old@example.com');
    await h.boot({ TOKEN_SECRET: SECRET_A });
    const signedByB = await h.json('/v2/visitor/auth/verify', { token: older.token });
    expect(signedByB.status).toBe(400);
    await h.boot({});
  });
});
