// DATA_DIR is private: the real service process, started under a permissive umask, leaves nothing
// below DATA_DIR (embedded database, token secret, dev credentials) readable by group or others —
// on a fresh folder, and on one left behind 0755 with a 0644 file inside.
import { afterAll, describe, expect, it } from 'bun:test';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startService } from './support/service-process.ts';

const root = mkdtempSync(`${tmpdir()}/va-data-dir-`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every path at or below `dir` whose mode lets group or others in, with that mode. */
function looseEntries(dir: string): string[] {
  const loose: string[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if (stat.mode & 0o077) loose.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(`${path}/${name}`);
  };
  visit(dir);
  return loose;
}

/** Starts the service on `dataDir` as a child of a process whose umask is 000, then stops it. */
async function runServiceUnderLooseUmask(dataDir: string): Promise<void> {
  const previous = process.umask(0o000); // inherited by the child
  let service;
  try {
    service = await startService({ NODE_ENV: 'development', LOG_LEVEL: 'info', DATA_DIR: dataDir, PUBLIC_URL: 'http://localhost' }, 30_000);
  } finally {
    process.umask(previous);
  }
  // A sign-in request writes to the embedded database while it runs.
  const response = await fetch(`${service.base}/v2/visitor/auth/magic-link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'demo@example.com' }),
  });
  expect(response.status).toBe(202);
  const loose = looseEntries(dataDir);
  expect(await service.stop()).toBe(0);
  expect(loose).toEqual([]);
}

describe('DATA_DIR', () => {
  it('is created 0700 and nothing below it is readable by group or others (fresh folder, umask 000)', async () => {
    const dataDir = `${root}/fresh/data`;
    await runServiceUnderLooseUmask(dataDir);
    expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dataDir).sort()).toEqual(expect.arrayContaining(['dev-credentials.json', 'pglite', 'token-secret']));
    expect(looseEntries(dataDir)).toEqual([]); // after shutdown too
  }, 60_000);

  it('tightens a DATA_DIR left 0755 with a 0644 file and a 0755 folder inside', async () => {
    const dataDir = `${root}/existing`;
    mkdirSync(`${dataDir}/old/nested`, { recursive: true });
    writeFileSync(`${dataDir}/old/nested/notes.txt`, 'left behind');
    writeFileSync(`${dataDir}/token-secret`, 'a-previously-generated-development-secret-0123456789');
    chmodSync(`${dataDir}/old/nested/notes.txt`, 0o644);
    chmodSync(`${dataDir}/token-secret`, 0o644);
    chmodSync(`${dataDir}/old/nested`, 0o755);
    chmodSync(`${dataDir}/old`, 0o755);
    chmodSync(dataDir, 0o755);
    await runServiceUnderLooseUmask(dataDir);
    expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
    expect(lstatSync(`${dataDir}/old/nested`).mode & 0o777).toBe(0o700);
    expect(lstatSync(`${dataDir}/token-secret`).mode & 0o777).toBe(0o600);
    expect(lstatSync(`${dataDir}/old/nested/notes.txt`).mode & 0o777).toBe(0o600);
  }, 60_000);
});
