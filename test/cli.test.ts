// `bun run cli` as an operator runs it: a subprocess against one temporary embedded database for
// the whole file (PGlite's first open costs ~4 s), or a fresh PostgreSQL database (dropped
// afterwards) when DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listMigrations } from '../src/db/migrate.ts';
import type { Tenant } from '../src/tenants/tenants.ts';
import { emptyDatabase } from './support/database.ts';

const ROOT = join(import.meta.dir, '..');
const adminUrl = process.env.DATABASE_URL;
const usingPostgres = Boolean(adminUrl);

let dataDir: string;
let env: Record<string, string | undefined>;
let dropDatabase = async () => {};
let firstMigrate: Run;

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

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'va-cli-'));
  env = { ...process.env, NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: undefined };
  if (usingPostgres) {
    const database = await emptyDatabase('va_cli');
    env.DATABASE_URL = database.url;
    dropDatabase = database.drop;
  }
  firstMigrate = await cli('migrate', '--json');
});

afterAll(async () => {
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('migrate', () => {
  it('applies every migration on a new database, then nothing the second time', async () => {
    expect(firstMigrate.code).toBe(0);
    expect(JSON.parse(firstMigrate.stdout)).toEqual({ applied: listMigrations().map((m) => m.name) });
    const second = await cliJson('migrate');
    expect(second.code).toBe(0);
    expect(second.body).toEqual({ applied: [] });
  });
});

describe('tenant add, show, list', () => {
  it('adds a tenant that show and list then return, hosts defaulting to the origins', async () => {
    const added = await cliJson<Tenant>(
      'tenant',
      'add',
      'acme',
      '--origin',
      'https://Acme.Example',
      '--origin',
      'https://www.acme.example:8443',
      '--gated',
      '/content/',
      '--gated',
      '/orders/',
      '--name',
      'Acme Shop',
      '--from',
      'Acme <shop@acme.example>',
      '--link-ttl',
      '600',
    );
    expect(added.code).toBe(0);
    expect(added.body).toMatchObject({
      handle: 'acme',
      name: 'Acme Shop',
      origins: ['https://acme.example', 'https://www.acme.example:8443'],
      hosts: ['acme.example', 'www.acme.example'],
      gatedPrefixes: ['/content/', '/orders/'],
      mailFrom: 'Acme <shop@acme.example>',
      magicLinkTtlSeconds: 600,
      sessionTtlSeconds: null,
      supportCanEditGrants: false,
    });

    const shown = await cliJson<Tenant>('tenant', 'show', 'acme');
    expect(shown.body).toEqual(added.body);

    const listed = await cliJson<{ tenants: Tenant[] }>('tenant', 'list');
    expect(listed.body.tenants.find((t) => t.handle === 'acme')).toEqual(added.body);

    const table = await cli('tenant', 'list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^HANDLE\s+NAME\s+PUBLIC ORIGIN/);
    expect(table.stdout).toContain('acme');
  });

  it('refuses a host that already belongs to another tenant', async () => {
    await cliJson('tenant', 'add', 'host-owner', '--origin', 'https://owned.example', '--gated', '/c/');
    const run = await cliJson<{ error: { code: string; message: string } }>(
      'tenant',
      'add',
      'host-thief',
      '--origin',
      'https://x.example',
      '--host',
      'owned.example',
      '--gated',
      '/c/',
    );
    expect(run.code).toBe(1);
    expect(run.body.error).toEqual({ code: 'host_taken', message: 'host owned.example already belongs to tenant host-owner' });
  });
});

describe('tenant update', () => {
  it('replaces the origins and leaves what was not given', async () => {
    const before = await cliJson<Tenant>('tenant', 'add', 'shop-two', '--origin', 'https://old.example', '--gated', '/content/');
    const after = await cliJson<Tenant>(
      'tenant',
      'update',
      'shop-two',
      '--origin',
      'https://new.example',
      '--origin',
      'http://localhost:3000',
    );
    expect(after.code).toBe(0);
    expect(after.body).toEqual({ ...before.body, origins: ['https://new.example', 'http://localhost:3000'] });
    expect((await cliJson<Tenant>('tenant', 'show', 'shop-two')).body.origins).toEqual(['https://new.example', 'http://localhost:3000']);
  });

  it('lets support operators edit grants with --support-can-edit-grants yes, and takes it back with no', async () => {
    await cliJson<Tenant>('tenant', 'add', 'shop-three', '--origin', 'https://three.example', '--gated', '/content/');
    const on = await cliJson<Tenant>('tenant', 'update', 'shop-three', '--support-can-edit-grants', 'yes');
    expect([on.code, on.body.supportCanEditGrants]).toEqual([0, true]);
    // Other updates leave it as it is.
    const renamed = await cliJson<Tenant>('tenant', 'update', 'shop-three', '--name', 'Three');
    expect([renamed.body.name, renamed.body.supportCanEditGrants]).toEqual(['Three', true]);
    expect((await cli('tenant', 'show', 'shop-three')).stdout).toMatch(/support edits grants\s+yes/);
    const off = await cliJson<Tenant>('tenant', 'update', 'shop-three', '--support-can-edit-grants', 'no');
    expect(off.body.supportCanEditGrants).toBe(false);
    const added = await cliJson<Tenant>(
      'tenant',
      'add',
      'shop-four',
      '--origin',
      'https://four.example',
      '--gated',
      '/c/',
      '--support-can-edit-grants',
      'yes',
    );
    expect(added.body.supportCanEditGrants).toBe(true);
    const wrong = await cliJson<{ error: { code: string; message: string } }>(
      'tenant',
      'update',
      'shop-three',
      '--support-can-edit-grants',
      'true',
    );
    expect([wrong.code, wrong.body.error.code]).toEqual([1, 'invalid_argument']);
    expect(wrong.body.error.message).toContain('--support-can-edit-grants must be "yes" or "no"');
  });

  it("sets a tenant's default language with --locale (English unless told), and refuses a language no catalogue ships", async () => {
    const added = await cliJson<Tenant>('tenant', 'add', 'shop-five', '--origin', 'https://five.example', '--gated', '/c/');
    expect(added.body.locale).toBe('en');
    const german = await cliJson<Tenant>('tenant', 'update', 'shop-five', '--locale', 'de');
    expect([german.code, german.body.locale]).toEqual([0, 'de']);
    expect((await cli('tenant', 'show', 'shop-five')).stdout).toMatch(/locale\s+de/);
    const born = await cliJson<Tenant>('tenant', 'add', 'shop-six', '--origin', 'https://six.example', '--gated', '/c/', '--locale', 'de');
    expect(born.body.locale).toBe('de');
    const wrong = await cliJson<{ error: { code: string; message: string } }>('tenant', 'update', 'shop-five', '--locale', 'fr');
    expect([wrong.code, wrong.body.error.code]).toEqual([1, 'invalid_argument']);
    expect(wrong.body.error.message).toContain('--locale must be one of en, de');
    expect((await cliJson<Tenant>('tenant', 'show', 'shop-five')).body.locale).toBe('de');
  });

  it('fails on an unknown handle', async () => {
    const run = await cliJson<{ error: { code: string } }>('tenant', 'update', 'no-such-shop', '--name', 'X');
    expect(run.code).toBe(1);
    expect(run.body.error.code).toBe('unknown_handle');
  });
});

describe('errors are one line and exit 1', () => {
  it('rejects a second tenant with the same handle', async () => {
    const args = ['tenant', 'add', 'twice', '--origin', 'https://twice.example', '--gated', '/c/'];
    expect((await cli(...args)).code).toBe(0);

    const plain = await cli(...args, '--host', 'other.example');
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe('');
    expect(plain.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(plain.stderr).toContain('tenant twice already exists');

    const json = await cliJson<{ error: { code: string; message: string } }>(...args, '--host', 'other.example');
    expect(json.code).toBe(1);
    expect(json.body).toEqual({ error: { code: 'tenant_exists', message: 'tenant twice already exists' } });
  });

  it.each([
    ['an origin with a path', ['tenant', 'add', 'ok', '--origin', 'https://x.example/shop', '--gated', '/c/'], '--origin'],
    ['a non-http origin', ['tenant', 'add', 'ok', '--origin', 'ftp://x.example', '--gated', '/c/'], '--origin'],
    ['an invalid handle', ['tenant', 'add', 'Not_A_Handle', '--origin', 'https://x.example', '--gated', '/c/'], '<handle>'],
    ['a missing --gated', ['tenant', 'add', 'ok', '--origin', 'https://x.example'], '--gated'],
    ['a gated prefix without the closing slash', ['tenant', 'add', 'ok', '--origin', 'https://x.example', '--gated', '/c'], '--gated'],
    ['a host with a port', ['tenant', 'add', 'ok', '--origin', 'https://x.example', '--gated', '/c/', '--host', 'x.example:80'], '--host'],
  ])('rejects %s, naming it', async (_, args, flag) => {
    const json = await cliJson<{ error: { code: string; message: string } }>(...args);
    expect(json.code).toBe(1);
    expect(json.body.error.code).toBe('invalid_argument');
    expect(json.body.error.message).toContain(flag);

    const plain = await cli(...args);
    expect(plain.code).toBe(1);
    expect(plain.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(flag)]);
  });

  it.skipIf(usingPostgres)('changes nothing while another process holds the embedded DATA_DIR', async () => {
    // This test process is alive and is not the CLI: exactly what a running service looks like.
    writeFileSync(join(dataDir, 'pglite.pid'), String(process.pid));
    let busy;
    try {
      busy = await cliJson<{ error: { code: string; message: string } }>(
        'tenant',
        'add',
        'busy',
        '--origin',
        'https://busy.example',
        '--gated',
        '/c/',
      );
    } finally {
      rmSync(join(dataDir, 'pglite.pid'), { force: true });
    }
    expect(busy.code).toBe(1);
    expect(busy.body.error.code).toBe('data_dir_busy');
    expect(busy.body.error.message).toContain(`in use by process ${process.pid}`);
    expect((await cliJson<{ error: { code: string } }>('tenant', 'show', 'busy')).body.error.code).toBe('unknown_handle');
  });
});

describe('limit list, set, clear', () => {
  type Limits = { handle: string; limits: { policy: string; quota: number; defaultQuota: number; overridden: boolean }[] };
  const perTenant = (body: Limits) => body.limits.find((l) => l.policy === 'magic-link:per-tenant')!;

  it("overrides one policy's quota for a storefront and goes back to the default", async () => {
    await cli('tenant', 'add', 'limited', '--origin', 'https://limited.example', '--gated', '/content/');
    const before = await cliJson<Limits>('limit', 'list', '--handle', 'limited');
    expect(perTenant(before.body)).toMatchObject({ quota: 600, defaultQuota: 600, overridden: false });
    const set = await cliJson<Limits>('limit', 'set', '--handle', 'limited', '--policy', 'magic-link:per-tenant', '--quota', '5000');
    expect(set.code).toBe(0);
    expect(perTenant(set.body)).toMatchObject({ quota: 5000, overridden: true });
    const cleared = await cliJson<Limits>('limit', 'clear', '--handle', 'limited', '--policy', 'magic-link:per-tenant');
    expect(perTenant(cleared.body)).toMatchObject({ quota: 600, overridden: false });
  });

  it('refuses an unknown policy, a bad quota and an unknown handle in one line', async () => {
    for (const args of [
      ['limit', 'set', '--handle', 'limited', '--policy', 'no-such', '--quota', '1'],
      ['limit', 'set', '--handle', 'limited', '--policy', 'magic-link:per-ip', '--quota', '-1'],
      ['limit', 'list', '--handle', 'nobody'],
    ]) {
      const run = await cli(...args);
      expect([args.join(' '), run.code]).toEqual([args.join(' '), 1]);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('webhook endpoint, deliveries, resend', () => {
  type Added = { id: string; url: string; events: string[]; secret: string };

  it('adds an endpoint (secret shown once), lists it without the secret, rotates and removes it', async () => {
    await cli('tenant', 'add', 'hooked', '--origin', 'https://hooked.example', '--gated', '/content/');
    const added = await cliJson<Added>(
      'webhook',
      'endpoint',
      'add',
      '--handle',
      'hooked',
      '--url',
      'http://localhost:9/hooks',
      '--events',
      'visitor.signed_in,grant.changed',
    );
    expect(added.code).toBe(0);
    expect(added.body).toMatchObject({ url: 'http://localhost:9/hooks', events: ['visitor.signed_in', 'grant.changed'] });
    expect(added.body.secret).toMatch(/^whsec_/);
    const listed = await cli('webhook', 'endpoint', 'list', '--handle', 'hooked');
    expect(listed.stdout).toContain(added.body.id);
    expect(listed.stdout).not.toContain('whsec_');
    const rotated = await cliJson<{ secret: string; previousSecretExpiresAt: string }>(
      'webhook',
      'endpoint',
      'rotate',
      added.body.id,
      '--handle',
      'hooked',
    );
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(added.body.secret);
    expect((await cliJson('webhook', 'deliveries', '--handle', 'hooked', '--dead')).body).toEqual({ deliveries: [] });
    expect((await cliJson('webhook', 'endpoint', 'remove', added.body.id, '--handle', 'hooked')).body).toEqual({
      id: added.body.id,
      removed: true,
    });
    const again = await cliJson<{ error: { code: string } }>('webhook', 'endpoint', 'remove', added.body.id, '--handle', 'hooked');
    expect(again.body.error.code).toBe('webhook_endpoint_not_found');
  });

  it('refuses a private URL, an unknown event type and an unknown delivery in one line', async () => {
    const privateUrl = await cliJson<{ error: { code: string } }>(
      'webhook',
      'endpoint',
      'add',
      '--handle',
      'hooked',
      '--url',
      'http://10.0.0.1/hooks',
      '--events',
      '*',
    );
    expect(privateUrl.body.error.code).toBe('invalid_webhook_url');
    const badEvent = await cliJson<{ error: { code: string } }>(
      'webhook',
      'endpoint',
      'add',
      '--handle',
      'hooked',
      '--url',
      'http://localhost:9/',
      '--events',
      'nope',
    );
    expect(badEvent.body.error.code).toBe('invalid_argument');
    const unknown = await cliJson<{ error: { code: string } }>('webhook', 'resend', crypto.randomUUID());
    expect(unknown.body.error.code).toBe('webhook_delivery_not_found');
  });
});
