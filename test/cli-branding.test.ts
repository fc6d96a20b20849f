// `tenant add|update` branding flags as an operator runs them (a subprocess, like test/cli.test.ts):
// the logo (https URL with width and height), the accent colour (AA contrast with white) and the
// support contact; "" clears; show and list print them; every refusal is one line naming the flag.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tenant } from '../src/tenants/tenants.ts';
import { emptyDatabase } from './support/database.ts';

const ROOT = join(import.meta.dir, '..');
let dataDir: string;
let env: Record<string, string | undefined>;
let dropDatabase = async () => {};

type Run = { code: number; stdout: string; stderr: string };

async function cli(...args: string[]): Promise<Run> {
  const proc = Bun.spawn([process.execPath, 'src/cli.ts', ...args], { cwd: ROOT, env, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

async function cliJson<T>(...args: string[]): Promise<Run & { body: T }> {
  const run = await cli(...args, '--json');
  return { ...run, body: JSON.parse(run.stdout) as T };
}

type Refusal = { error: { code: string; message: string } };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'va-cli-branding-'));
  env = { ...process.env, NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: undefined };
  if (process.env.DATABASE_URL) {
    const database = await emptyDatabase('va_cli_branding');
    env.DATABASE_URL = database.url;
    dropDatabase = database.drop;
  }
  expect((await cli('migrate')).code).toBe(0);
});

afterAll(async () => {
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

const LOGO = ['--logo-url', 'https://cdn.acme.example/logo.png', '--logo-width', '160', '--logo-height', '48'];

describe('tenant branding flags', () => {
  it('sets logo, accent colour and support contact on add; show and list print them; update changes and "" clears each', async () => {
    const added = await cliJson<Tenant>(
      'tenant',
      'add',
      'acme',
      '--origin',
      'https://acme.example',
      '--gated',
      '/c/',
      ...LOGO,
      '--accent-color',
      '#0B57D0',
      '--support-contact',
      'help@acme.example',
    );
    expect(added.code).toBe(0);
    expect(added.body).toMatchObject({
      logoUrl: 'https://cdn.acme.example/logo.png',
      logoWidth: 160,
      logoHeight: 48,
      accentColor: '#0b57d0',
      supportContact: 'help@acme.example',
    });
    const shown = await cli('tenant', 'show', 'acme');
    expect(shown.stdout).toMatch(/logo\s+https:\/\/cdn\.acme\.example\/logo\.png \(160×48 px\)/);
    expect(shown.stdout).toMatch(/accent colour\s+#0b57d0/);
    expect(shown.stdout).toMatch(/support contact\s+help@acme\.example/);
    expect((await cli('tenant', 'list')).stdout).toMatch(/BRANDING\n.*acme.*logo, #0b57d0, help@acme\.example/);

    const contact = await cliJson<Tenant>('tenant', 'update', 'acme', '--support-contact', 'https://acme.example/help');
    expect(contact.body).toMatchObject({ supportContact: 'https://acme.example/help', accentColor: '#0b57d0', logoWidth: 160 });

    const cleared = await cliJson<Tenant>('tenant', 'update', 'acme', '--logo-url', '', '--accent-color', '', '--support-contact', '');
    expect(cleared.code).toBe(0);
    expect(cleared.body).toMatchObject({ logoUrl: null, logoWidth: null, logoHeight: null, accentColor: null, supportContact: null });
    expect((await cli('tenant', 'show', 'acme')).stdout).toMatch(/logo\s+\(none: the name is shown\)/);
  });

  it.each([
    [
      'an http logo',
      [...LOGO.slice(2), '--logo-url', 'http://cdn.acme.example/logo.png'],
      '--logo-url "http://cdn.acme.example/logo.png": The logo URL must be an https:// address',
    ],
    [
      'a data: logo',
      [...LOGO.slice(2), '--logo-url', 'data:image/png;base64,AAAA'],
      '--logo-url "data:image/png;base64,AAAA": The logo URL must be an https:// address',
    ],
    ['a logo with credentials', [...LOGO.slice(2), '--logo-url', 'https://u:p@cdn.acme.example/l.png'], 'no user name or password'],
    [
      'a logo URL over 2048 characters',
      [...LOGO.slice(2), '--logo-url', `https://cdn.acme.example/${'a'.repeat(2048)}`],
      'at most 2048 characters',
    ],
    ['a logo without its size', ['--logo-url', 'https://cdn.acme.example/logo.png'], "--logo-width: Give the logo's width in pixels too"],
    ['a logo size without its URL', ['--logo-width', '100'], '--logo-url: Give the logo URL with its width and height'],
    ['a logo too wide', [...LOGO.slice(0, 2), '--logo-width', '601', '--logo-height', '48'], 'from 1 to 600'],
    ['a colour that is not #rrggbb', ['--accent-color', 'red'], '--accent-color "red": The accent colour must be written #rrggbb'],
    ['a colour white text cannot be read on', ['--accent-color', '#ffcc00'], 'is too light: white text on it has a contrast of 1.51:1'],
    [
      'a contact that is neither an address nor https',
      ['--support-contact', 'call us'],
      '--support-contact "call us": The support contact must be an email address',
    ],
    ['a javascript: contact', ['--support-contact', 'javascript:alert(1)'], 'A support contact link must be an https:// address'],
  ])('refuses %s with one line naming the flag', async (_what, flags, says) => {
    const run = await cliJson<Refusal>('tenant', 'update', 'acme', ...flags);
    expect(run.code).toBe(1);
    expect(run.body.error.code).toBe('invalid_argument');
    expect(run.body.error.message).toContain(says);
  });

  it('changed nothing on any refusal (checked before the database is opened)', async () => {
    const shown = await cliJson<Tenant>('tenant', 'show', 'acme');
    expect(shown.body).toMatchObject({ logoUrl: null, logoWidth: null, logoHeight: null, accentColor: null, supportContact: null });
  });

  it('suggests a darker colour of the same hue that passes', async () => {
    const run = await cliJson<Refusal>('tenant', 'update', 'acme', '--accent-color', '#ffcc00');
    const suggested = /passes: (#[0-9a-f]{6})/.exec(run.body.error.message)![1]!;
    const ok = await cliJson<Tenant>('tenant', 'update', 'acme', '--accent-color', suggested);
    expect([ok.code, ok.body.accentColor]).toEqual([0, suggested]);
  });
});
