// `bun run cli operator add|list|remove` as an admin runs it: a subprocess against a temporary
// embedded database, or a fresh PostgreSQL database (dropped afterwards) when DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyDatabase } from './support/database.ts';

const ROOT = join(import.meta.dir, '..');
const adminUrl = process.env.DATABASE_URL;

let dataDir: string;
let env: Record<string, string | undefined>;
let dropDatabase = async () => {};

type Run = { code: number; stdout: string; stderr: string };

async function cli(...args: string[]): Promise<Run> {
  const proc = Bun.spawn([process.execPath, 'src/cli.ts', ...args], { cwd: ROOT, env, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** With --json: exactly one line on stdout, holding one JSON object. */
async function cliJson<T = Record<string, unknown>>(...args: string[]): Promise<Run & { body: T }> {
  const run = await cli(...args, '--json');
  expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
  return { ...run, body: JSON.parse(run.stdout) as T };
}

type OperatorJson = { id: string; email: string; role: string; tenants: string[]; createdAt: string };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'va-operator-cli-'));
  env = { ...process.env, NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: undefined };
  if (adminUrl) {
    const database = await emptyDatabase('va_ops');
    env.DATABASE_URL = database.url;
    dropDatabase = database.drop;
  }
  expect((await cli('migrate')).code).toBe(0);
  for (const handle of ['shop-a', 'shop-b']) {
    const added = await cli('tenant', 'add', handle, '--origin', `https://${handle}.example`, '--gated', '/content/');
    expect(added.code).toBe(0);
  }
}, 60_000);

afterAll(async () => {
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('operator', () => {
  it('add: a support operator with their tenants, an admin with none; --json is one object', async () => {
    const support = await cliJson<{ operator: OperatorJson; created: boolean }>(
      'operator',
      'add',
      ' Lead@Example.COM ',
      '--role',
      'support',
      '--tenant',
      'shop-b',
      '--tenant',
      'shop-a',
    );
    expect(support.code).toBe(0);
    expect(support.body).toEqual({
      created: true,
      operator: {
        id: expect.any(String),
        email: 'lead@example.com',
        role: 'support',
        tenants: ['shop-a', 'shop-b'],
        createdAt: expect.any(String),
      },
    });
    const admin = await cli('operator', 'add', 'root@example.com', '--role', 'admin');
    expect(admin.code).toBe(0);
    expect(admin.stdout).toContain('added operator root@example.com (admin: every tenant)');
  });

  it('add again: replaces the role and tenants of the same person', async () => {
    const again = await cliJson<{ operator: OperatorJson; created: boolean }>(
      'operator',
      'add',
      'lead@example.com',
      '--role',
      'support',
      '--tenant',
      'shop-a',
    );
    expect(again.body.created).toBe(false);
    expect(again.body.operator.tenants).toEqual(['shop-a']);
  });

  it('list: every live operator; the console’s internal tenant stays out of operator tenants', async () => {
    const listed = await cliJson<{ operators: OperatorJson[] }>('operator', 'list');
    expect(listed.body.operators.map((o) => [o.email, o.role, o.tenants])).toEqual([
      ['lead@example.com', 'support', ['shop-a']],
      ['root@example.com', 'admin', []],
    ]);
    const text = await cli('operator', 'list');
    expect(text.stdout).toMatch(/^EMAIL\s+ROLE\s+TENANTS\s+ADDED\s+ID\nlead@example\.com\s+support\s+shop-a\s+/);
  });

  it('remove: the operator is gone from the list; removing again is operator_not_found', async () => {
    const removed = await cliJson('operator', 'remove', 'lead@example.com');
    expect(removed.body).toEqual({ email: 'lead@example.com', removed: true, sessionsEnded: 0 });
    const listed = await cliJson<{ operators: OperatorJson[] }>('operator', 'list');
    expect(listed.body.operators.map((o) => o.email)).toEqual(['root@example.com']);
    const again = await cliJson<{ error: { code: string; message: string } }>('operator', 'remove', 'lead@example.com');
    expect(again.code).toBe(1);
    expect(again.body.error).toEqual({ code: 'operator_not_found', message: 'no operator has the email lead@example.com' });
  });

  it('refuses bad arguments in one line before touching the database', async () => {
    const cases: [string[], RegExp][] = [
      [['operator', 'add', 'x@example.com', '--role', 'support'], /a support operator needs at least one --tenant/],
      [['operator', 'add', 'x@example.com', '--role', 'admin', '--tenant', 'shop-a'], /admins see every tenant/],
      [['operator', 'add', 'x@example.com', '--role', 'owner'], /--role "owner" must be support or admin/],
      [['operator', 'add', 'x@example.com'], /--role is required/],
      [['operator', 'add', 'not-an-email', '--role', 'admin'], /"not-an-email" is not a valid email address/],
      [['operator', 'add', 'x@example.com', '--role', 'support', '--tenant', '_console'], /--tenant "_console" is not a handle/],
      [['operator', 'frobnicate'], /unknown verb "operator frobnicate"/],
      [['operator', 'remove'], /missing <email>/],
    ];
    for (const [args, message] of cases) {
      const run = await cliJson<{ error: { code: string; message: string } }>(...args);
      expect([args.join(' '), run.code, run.body.error.code]).toEqual([args.join(' '), 1, 'invalid_argument']);
      expect(run.body.error.message).toMatch(message);
      const text = await cli(...args);
      expect(text.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    const unknown = await cliJson<{ error: { code: string } }>('operator', 'add', 'x@example.com', '--role', 'support', '--tenant', 'nope');
    expect(unknown.body.error.code).toBe('unknown_handle');
  });
});
