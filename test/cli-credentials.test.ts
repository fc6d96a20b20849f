// `bun run cli pat|jwt-key|grant` as an operator runs them: a subprocess against one temporary
// embedded database for the whole file, or a fresh PostgreSQL database (dropped afterwards) when
// DATABASE_URL is set. At the end the keys the CLI registered verify real jose-signed tokens.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT, type CryptoKey as JoseKey } from 'jose';
import type { Grant } from '../src/access/grants.ts';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { verifyStorefrontJwt } from '../src/credentials/jwt.ts';
import { findLivePatByToken, type Pat } from '../src/credentials/pats.ts';
import { openDatabase } from '../src/db/open.ts';
import { sql } from '../src/db/sql.ts';
import { deriveKeyRing } from '../src/tokens/keys.ts';
import { emptyDatabase } from './support/database.ts';

// Every case spawns CLI processes that open the database: allow for a busy machine whatever
// --timeout the runner was given.
setDefaultTimeout(60_000);

const ROOT = join(import.meta.dir, '..');
const adminUrl = process.env.DATABASE_URL;
const usingPostgres = Boolean(adminUrl);
const TOKEN_SECRET = 'cli-credentials-secret-0123456789abcdefghijklmnop';
const HS_SECRET = 'c2hhcmVkLXNlY3JldC1mb3ItdGhlLXN0b3JlZnJvbnQtMDEyMzQ1Njc4OQ';

let dataDir: string;
let keyDir: string;
let env: Record<string, string | undefined>;
let dropDatabase = async () => {};

type Run = { code: number; stdout: string; stderr: string };
type Failure = { error: { code: string; message: string } };

async function cli(args: string[], stdin?: string | Uint8Array<ArrayBuffer>): Promise<Run> {
  const proc = Bun.spawn([process.execPath, 'src/cli.ts', ...args], {
    cwd: ROOT,
    env,
    stdin: stdin === undefined ? 'ignore' : new Blob([stdin]),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** With --json: exactly one line on stdout, holding one JSON object. */
async function cliJson<T = Record<string, unknown>>(args: string[], stdin?: string | Uint8Array<ArrayBuffer>): Promise<Run & { body: T }> {
  const run = await cli([...args, '--json'], stdin);
  expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
  return { ...run, body: JSON.parse(run.stdout) as T };
}

/** Fails with exit 1 and an error code; the message (JSON and plain) names `mention`. */
async function expectFailure(args: string[], code: string, mention: string, stdin?: string | Uint8Array<ArrayBuffer>): Promise<void> {
  const json = await cliJson<Failure>(args, stdin);
  expect(json.code).toBe(1);
  expect(json.body.error.code).toBe(code);
  expect(json.body.error.message).toContain(mention);
  const plain = await cli(args, stdin);
  expect(plain.code).toBe(1);
  expect(plain.stdout).toBe('');
  expect(plain.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(mention)]);
}

function file(name: string, content: string): string {
  const path = join(keyDir, name);
  writeFileSync(path, content);
  return path;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'va-cli-cred-'));
  keyDir = mkdtempSync(join(tmpdir(), 'va-cli-keys-'));
  env = { ...process.env, NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: undefined, TOKEN_SECRET };
  if (usingPostgres) {
    const database = await emptyDatabase('va_cli_cred');
    env.DATABASE_URL = database.url;
    dropDatabase = database.drop;
  }
  expect((await cli(['migrate'])).code).toBe(0);
  for (const handle of ['cred-shop', 'cred-other']) {
    expect((await cli(['tenant', 'add', handle, '--origin', `https://${handle}.example`, '--gated', '/content/'])).code).toBe(0);
  }
});

afterAll(async () => {
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(keyDir, { recursive: true, force: true });
});

/** Opens the CLI's database in this process (the CLI is not running in between). */
async function withDatabase<T>(work: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const db = await openDatabase(loadConfig(env));
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

describe('pat create, list, revoke', () => {
  it('creates a tenant PAT and shows its token exactly once', async () => {
    const created = await cliJson<{ id: string; token: string }>([
      'pat',
      'create',
      '--handle',
      'cred-shop',
      '--scopes',
      'access:read,access:write',
      '--name',
      'webhook',
    ]);
    expect(created.code).toBe(0);
    expect(Object.keys(created.body).sort()).toEqual(['id', 'token']);
    expect(created.body.token).toMatch(/^vapat_[A-Za-z0-9_-]{43}$/);

    const listed = await cliJson<{ pats: (Pat & Record<string, unknown>)[] }>(['pat', 'list']);
    const pat = listed.body.pats.find((p) => p.id === created.body.id)!;
    expect(pat).toMatchObject({
      handle: 'cred-shop',
      name: 'webhook',
      scopes: ['access:read', 'access:write'],
      revokedAt: null,
      lastUsedAt: null,
    });
    expect(listed.stdout).not.toContain(created.body.token);
    expect(listed.stdout).not.toContain(created.body.token.slice(6, 30));
    expect(JSON.stringify(pat)).not.toMatch(/token|hash/i);

    const table = await cli(['pat', 'list']);
    expect(table.stdout).toMatch(/^ID\s+TENANT\s+NAME\s+SCOPES/);
    expect(table.stdout).toContain(created.body.id);
    expect(table.stdout).not.toContain(created.body.token);
  });

  it('prints the token in plain mode too, with a warning that it is shown once', async () => {
    const run = await cli(['pat', 'create', '--handle', 'cred-shop', '--scopes', 'support:read']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\n {2}vapat_[A-Za-z0-9_-]{43}\n/);
    expect(run.stdout).toContain('shown only once');
  });

  it('creates a service PAT with operator scopes only under --operator', async () => {
    const created = await cliJson<{ id: string; token: string }>([
      'pat',
      'create',
      '--operator',
      '--scopes',
      'operator:read,operator:escalate',
    ]);
    expect(created.code).toBe(0);
    const listed = await cliJson<{ pats: Pat[] }>(['pat', 'list']);
    expect(listed.body.pats.find((p) => p.id === created.body.id)).toMatchObject({
      tenantId: null,
      handle: null,
      scopes: ['operator:read', 'operator:escalate'],
    });
  });

  it.each([
    ['operator scopes on a tenant PAT', ['pat', 'create', '--handle', 'cred-shop', '--scopes', 'access:read,operator:read'], '--operator'],
    ['tenant scopes on a service PAT', ['pat', 'create', '--operator', '--scopes', 'operator:read,access:write'], 'tenant scope'],
    ['an unknown scope', ['pat', 'create', '--handle', 'cred-shop', '--scopes', 'access:admin'], '--scopes'],
    ['no scopes', ['pat', 'create', '--handle', 'cred-shop'], '--scopes'],
    ['both --handle and --operator', ['pat', 'create', '--handle', 'cred-shop', '--operator', '--scopes', 'operator:read'], 'not both'],
    ['neither --handle nor --operator', ['pat', 'create', '--scopes', 'access:read'], '--handle'],
    ['an invalid handle', ['pat', 'create', '--handle', 'Bad_Handle', '--scopes', 'access:read'], '--handle'],
    ['a revoke without an id', ['pat', 'revoke'], '<id>'],
    ['a revoke of something that is not an id', ['pat', 'revoke', 'vapat_abc'], '<id>'],
    ['an unknown pat verb', ['pat', 'delete', 'x'], 'pat create|list|revoke'],
  ])('refuses %s, naming it', async (_, args, mention) => {
    await expectFailure(args, 'invalid_argument', mention);
  });

  it('refuses an unknown handle', async () => {
    await expectFailure(['pat', 'create', '--handle', 'no-such-shop', '--scopes', 'access:read'], 'unknown_handle', 'no-such-shop');
  });

  it('revokes a PAT once; the second time it is not found', async () => {
    const created = await cliJson<{ id: string; token: string }>(['pat', 'create', '--handle', 'cred-shop', '--scopes', 'access:read']);
    const revoked = await cliJson(['pat', 'revoke', created.body.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.body).toEqual({ id: created.body.id, revoked: true });
    const listed = await cliJson<{ pats: Pat[] }>(['pat', 'list']);
    expect(listed.body.pats.find((p) => p.id === created.body.id)?.revokedAt).toEqual(expect.any(String));
    await expectFailure(['pat', 'revoke', created.body.id], 'pat_not_found', created.body.id);
    expect(await withDatabase((db) => findLivePatByToken(db, created.body.token))).toBeNull();
  });
});

type KeyPair = { alg: 'ES256' | 'EdDSA'; privateKey: JoseKey; pem: string; jwk: string; privatePem: string; privateJwk: string };

async function keyPair(alg: 'ES256' | 'EdDSA'): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return {
    alg,
    privateKey,
    pem: await exportSPKI(publicKey),
    jwk: JSON.stringify(await exportJWK(publicKey)),
    privatePem: await exportPKCS8(privateKey),
    privateJwk: JSON.stringify(await exportJWK(privateKey)),
  };
}

describe('jwt-key add, list, remove', () => {
  let es: KeyPair;
  let ed: KeyPair;
  const added = new Map<string, { alg: string; key: JoseKey | Uint8Array }>();

  beforeAll(async () => {
    es = await keyPair('ES256');
    ed = await keyPair('EdDSA');
  });

  async function add(alg: string, keyFile: string, stdin?: string): Promise<string> {
    const run = await cliJson<{ kid: string }>(['jwt-key', 'add', '--handle', 'cred-shop', '--alg', alg, '--key-file', keyFile], stdin);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(Object.keys(run.body)).toEqual(['kid']);
    expect(run.body.kid).toMatch(/^k_[A-Za-z0-9_-]{16}$/);
    return run.body.kid;
  }

  it('adds an HS256 secret from stdin and from a file (a trailing newline dropped)', async () => {
    added.set(await add('HS256', '-', `${HS_SECRET}\n`), { alg: 'HS256', key: new TextEncoder().encode(HS_SECRET) });
    added.set(await add('HS256', file('hs.secret', HS_SECRET)), { alg: 'HS256', key: new TextEncoder().encode(HS_SECRET) });
  });

  it('adds ES256 public keys as PEM from stdin and as a JWK from a file', async () => {
    added.set(await add('ES256', '-', es.pem), { alg: 'ES256', key: es.privateKey });
    added.set(await add('ES256', file('es.jwk', es.jwk)), { alg: 'ES256', key: es.privateKey });
  });

  it('adds EdDSA public keys as PEM from a file and as a JWK from stdin', async () => {
    added.set(await add('EdDSA', file('ed.pem', ed.pem)), { alg: 'EdDSA', key: ed.privateKey });
    added.set(await add('EdDSA', '-', ed.jwk), { alg: 'EdDSA', key: ed.privateKey });
  });

  it('lists keys with their public JWKs and never a secret', async () => {
    const listed = await cliJson<{
      keys: { kid: string; handle: string; alg: string; publicJwk: Record<string, string> | null; sealedWith: string | null }[];
    }>(['jwt-key', 'list']);
    expect(listed.code).toBe(0);
    for (const [kid, { alg }] of added) {
      const key = listed.body.keys.find((k) => k.kid === kid)!;
      expect(key).toMatchObject({ handle: 'cred-shop', alg });
      if (alg === 'HS256') expect(key.publicJwk).toBeNull();
      if (alg === 'HS256') expect(key.sealedWith).toMatch(/^[0-9a-f]{12}$/);
      if (alg === 'ES256') expect(key.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: JSON.parse(es.jwk).x, y: JSON.parse(es.jwk).y });
      if (alg === 'EdDSA') expect(key.publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: JSON.parse(ed.jwk).x });
    }
    const table = await cli(['jwt-key', 'list']);
    for (const output of [listed.stdout, table.stdout]) {
      expect(output).not.toContain(HS_SECRET);
      expect(output).not.toContain(HS_SECRET.slice(0, 20));
    }
    expect(table.stdout).toMatch(/^KID\s+TENANT\s+ALG/);
  });

  it.each([
    ['an HS256 secret under 32 bytes', 'HS256', 'too-short-secret\n', 'at least 32'],
    ['a PEM public key as an HS256 secret', 'HS256', () => es.pem, 'not a PEM or JWK'],
    ['a JWK as an HS256 secret', 'HS256', () => es.jwk, 'not a PEM or JWK'],
    ['a binary HS256 secret', 'HS256', new Uint8Array(48).fill(0xff), 'must be text'],
    ['an HS256 secret with control characters', 'HS256', `${'x'.repeat(40)}\u0000`, 'control characters'],
    ['an Ed25519 key for ES256', 'ES256', () => ed.pem, 'P-256'],
    ['a P-256 key for EdDSA', 'EdDSA', () => es.jwk, 'Ed25519'],
    ['a private PEM key', 'ES256', () => es.privatePem, 'private key'],
    ['a private JWK', 'EdDSA', () => ed.privateJwk, 'private JWK'],
    ['a JWK set', 'ES256', () => JSON.stringify({ keys: [JSON.parse(es.jwk)] }), 'JWK set'],
    ['a JWK whose alg disagrees', 'ES256', () => JSON.stringify({ ...JSON.parse(es.jwk), alg: 'ES384' }), 'ES384'],
    ['text that is no key', 'EdDSA', 'hello, this is not a key at all\n', 'PEM'],
    ['a broken PEM', 'ES256', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', 'cannot be read'],
    ['empty stdin', 'ES256', '', 'empty'],
  ])('refuses %s from stdin, and stores nothing', async (_, alg, material, mention) => {
    const before = (await cliJson<{ keys: unknown[] }>(['jwt-key', 'list'])).body.keys.length;
    const text = typeof material === 'function' ? material() : material;
    await expectFailure(['jwt-key', 'add', '--handle', 'cred-shop', '--alg', alg, '--key-file', '-'], 'invalid_argument', mention, text);
    expect((await cliJson<{ keys: unknown[] }>(['jwt-key', 'list'])).body.keys).toHaveLength(before);
  });

  it('refuses a missing file, a bad alg and missing flags, naming the flag', async () => {
    await expectFailure(
      ['jwt-key', 'add', '--handle', 'cred-shop', '--alg', 'ES256', '--key-file', join(dataDir, 'nope.pem')],
      'invalid_argument',
      '--key-file',
    );
    await expectFailure(['jwt-key', 'add', '--handle', 'cred-shop', '--alg', 'RS256', '--key-file', '-'], 'invalid_argument', '--alg');
    await expectFailure(['jwt-key', 'add', '--handle', 'cred-shop', '--alg', 'none', '--key-file', '-'], 'invalid_argument', '--alg');
    await expectFailure(['jwt-key', 'add', '--handle', 'cred-shop', '--alg', 'ES256'], 'invalid_argument', '--key-file');
    await expectFailure(['jwt-key', 'add', '--alg', 'ES256', '--key-file', '-'], 'invalid_argument', '--handle', es.pem);
    await expectFailure(['jwt-key', 'add', '--handle', 'cred-shop', '--alg', 'ES256', '--key', es.pem], 'invalid_argument', "'--key'");
    await expectFailure(
      ['jwt-key', 'add', '--handle', 'no-such-shop', '--alg', 'ES256', '--key-file', '-'],
      'unknown_handle',
      'no-such-shop',
      es.pem,
    );
  });

  it('registers keys that verify real storefront JWTs, for the tenant, until removed', async () => {
    expect(added.size).toBe(6);
    const tokens = new Map<string, string>();
    for (const [kid, { alg, key }] of added) {
      tokens.set(
        kid,
        await new SignJWT({ scope: 'access:read operator:read' })
          .setProtectedHeader({ alg, kid })
          .setAudience('visitor-access')
          .setExpirationTime('5m')
          .sign(key),
      );
    }
    const [firstKid] = added.keys();
    await withDatabase(async (db) => {
      const deps = { db, keys: await deriveKeyRing([TOKEN_SECRET]), clock: systemClock };
      const shop = await db.one<{ id: string }>(sql`select id from tenants where handle = 'cred-shop'`);
      for (const [kid, token] of tokens) {
        expect(await verifyStorefrontJwt(deps, token)).toEqual({
          kind: 'jwt',
          id: kid,
          tenantId: shop!.id,
          scopes: new Set(['access:read']),
        });
      }
    });

    const removed = await cliJson(['jwt-key', 'remove', firstKid!]);
    expect(removed.body).toEqual({ kid: firstKid, removed: true });
    await expectFailure(['jwt-key', 'remove', firstKid!], 'jwt_key_not_found', firstKid!);
    await expectFailure(['jwt-key', 'remove', 'not-a-kid'], 'invalid_argument', '<kid>');
    await withDatabase(async (db) => {
      const deps = { db, keys: await deriveKeyRing([TOKEN_SECRET]), clock: systemClock };
      expect(await verifyStorefrontJwt(deps, tokens.get(firstKid!)!)).toBeNull();
    });
  });
});

describe('grant add, list, remove', () => {
  it('adds a grant with a normalised email, updates it, and lists it', async () => {
    const added = await cliJson<{ grant: Grant; created: boolean }>([
      'grant',
      'add',
      '--handle',
      'cred-shop',
      '--email',
      '  Ana@Example.COM ',
      '--resource',
      '/orders/A-1001',
      '--kind',
      'order',
      '--title',
      'Order A-1001',
      '--order-id',
      'A-1001',
      '--expires-at',
      '2030-01-31T23:59:59Z',
    ]);
    expect(added.code).toBe(0);
    expect(added.body).toEqual({
      created: true,
      grant: {
        email: 'ana@example.com',
        resource: '/orders/A-1001',
        kind: 'order',
        title: 'Order A-1001',
        orderId: 'A-1001',
        expiresAt: '2030-01-31T23:59:59.000Z',
        grantedAt: expect.any(String),
      },
    });

    const again = await cliJson<{ grant: Grant; created: boolean }>([
      'grant',
      'add',
      '--handle',
      'cred-shop',
      '--email',
      'ana@example.com',
      '--resource',
      '/orders/A-1001',
      '--kind',
      'order',
    ]);
    expect(again.body.created).toBe(false);
    expect(again.body.grant).toMatchObject({ title: null, orderId: null, expiresAt: null });

    await cliJson(['grant', 'add', '--handle', 'cred-shop', '--email', 'ana@example.com', '--resource', '/content/course-1/*']);
    await cliJson(['grant', 'add', '--handle', 'cred-shop', '--email', 'bo@example.com', '--resource', '/content/demo/*']);
    await cliJson(['grant', 'add', '--handle', 'cred-other', '--email', 'ana@example.com', '--resource', '/content/elsewhere']);

    const ana = await cliJson<{ grants: Grant[] }>(['grant', 'list', '--handle', 'cred-shop', '--email', 'ANA@example.com']);
    expect(ana.body.grants.map((g) => [g.resource, g.kind])).toEqual([
      ['/content/course-1/*', 'content'],
      ['/orders/A-1001', 'order'],
    ]);
    const all = await cliJson<{ grants: Grant[] }>(['grant', 'list', '--handle', 'cred-shop']);
    expect(all.body.grants.map((g) => `${g.email} ${g.resource}`)).toEqual([
      'ana@example.com /content/course-1/*',
      'ana@example.com /orders/A-1001',
      'bo@example.com /content/demo/*',
    ]);
    const table = await cli(['grant', 'list', '--handle', 'cred-shop']);
    expect(table.stdout).toMatch(/^EMAIL\s+RESOURCE\s+KIND/);
    expect(table.stdout).toContain('bo@example.com');
  });

  it('removes a grant once; the second time it is not found', async () => {
    const args = ['grant', 'remove', '--handle', 'cred-shop', '--email', 'bo@example.com', '--resource', '/content/demo/*'];
    const removed = await cliJson(args);
    expect(removed.code).toBe(0);
    expect(removed.body).toEqual({ email: 'bo@example.com', resource: '/content/demo/*', removed: true });
    await expectFailure(args, 'grant_not_found', 'bo@example.com');
    expect(
      (await cliJson<{ grants: Grant[] }>(['grant', 'list', '--handle', 'cred-shop', '--email', 'bo@example.com'])).body.grants,
    ).toEqual([]);
  });

  it.each([
    ['a bad email', ['grant', 'add', '--handle', 'cred-shop', '--email', 'not-an-email', '--resource', '/content/a'], '--email'],
    [
      'a resource with ..',
      ['grant', 'add', '--handle', 'cred-shop', '--email', 'a@example.com', '--resource', '/content/../orders/A-1'],
      '--resource',
    ],
    [
      'a resource with a trailing slash',
      ['grant', 'add', '--handle', 'cred-shop', '--email', 'a@example.com', '--resource', '/content/'],
      '--resource',
    ],
    ['a relative resource', ['grant', 'add', '--handle', 'cred-shop', '--email', 'a@example.com', '--resource', 'content/a'], '--resource'],
    [
      'a wildcard inside a resource',
      ['grant', 'add', '--handle', 'cred-shop', '--email', 'a@example.com', '--resource', '/content/*/x'],
      '--resource',
    ],
    [
      'an unknown kind',
      ['grant', 'add', '--handle', 'cred-shop', '--email', 'a@example.com', '--resource', '/content/a', '--kind', 'video'],
      '--kind',
    ],
    [
      'an expiry without a time zone',
      [
        'grant',
        'add',
        '--handle',
        'cred-shop',
        '--email',
        'a@example.com',
        '--resource',
        '/content/a',
        '--expires-at',
        '2030-01-01T00:00:00',
      ],
      '--expires-at',
    ],
    [
      'an impossible expiry',
      [
        'grant',
        'add',
        '--handle',
        'cred-shop',
        '--email',
        'a@example.com',
        '--resource',
        '/content/a',
        '--expires-at',
        '2030-02-31T00:00:00Z',
      ],
      '--expires-at',
    ],
    [
      'a title with a line break',
      ['grant', 'add', '--handle', 'cred-shop', '--email', 'a@example.com', '--resource', '/content/a', '--title', 'a\nb'],
      '--title',
    ],
    ['a missing --email', ['grant', 'add', '--handle', 'cred-shop', '--resource', '/content/a'], '--email'],
    ['a missing --resource on remove', ['grant', 'remove', '--handle', 'cred-shop', '--email', 'a@example.com'], '--resource'],
    ['a missing --handle on list', ['grant', 'list'], '--handle'],
    ['a bad --email on list', ['grant', 'list', '--handle', 'cred-shop', '--email', 'x@'], '--email'],
  ])('refuses %s, naming the flag', async (_, args, flag) => {
    await expectFailure(args, 'invalid_argument', flag);
  });

  it('refuses an unknown handle', async () => {
    await expectFailure(['grant', 'list', '--handle', 'no-such-shop'], 'unknown_handle', 'no-such-shop');
  });

  it('validates before touching any database', async () => {
    const untouched = join(dataDir, 'never-created');
    const saved = env;
    env = { ...saved, DATA_DIR: untouched, DATABASE_URL: undefined };
    try {
      await expectFailure(
        ['grant', 'add', '--handle', 'cred-shop', '--email', 'bad', '--resource', '/content/a'],
        'invalid_argument',
        '--email',
      );
      await expectFailure(
        ['jwt-key', 'add', '--handle', 'cred-shop', '--alg', 'HS256', '--key-file', '-'],
        'invalid_argument',
        'at least 32',
        'short',
      );
      await expectFailure(['pat', 'create', '--handle', 'cred-shop', '--scopes', 'operator:read'], 'invalid_argument', '--scopes');
    } finally {
      env = saved;
    }
    expect(existsSync(untouched)).toBe(false);
  });
});
