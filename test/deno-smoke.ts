// Boots the service under Deno (src/deno.ts) and walks one sign-in request through to the dev
// mailbox, then stops it with SIGTERM and expects a clean exit. A script, not a bun test file:
// `bun run smoke:deno`. Prints "deno smoke: ok", or one line saying what failed (exit 1).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import postgres from 'postgres';

const ROOT = join(import.meta.dir, '..');
const LOG_FILE = join(ROOT, 'test/artifacts/deno-smoke.log');
const EMAIL = 'smoke@example.com';

class SmokeFailure extends Error {}

/** node_modules/.bin/deno, else deno on PATH, resolved to the real executable. */
function findDeno(): string {
  const local = join(ROOT, 'node_modules/.bin/deno');
  const candidates = [existsSync(local) ? local : null, Bun.which('deno')].filter((c): c is string => c !== null);
  if (!candidates.length) throw new SmokeFailure('no deno binary: neither node_modules/.bin/deno nor deno on PATH (run `bun install`)');
  const problems: string[] = [];
  for (const candidate of candidates) {
    // npm's launcher (bin.cjs, which needs node) runs the real binary as a child and does not
    // forward signals, so ask Deno for its own path: SIGTERM must reach the server itself.
    try {
      const probe = Bun.spawnSync([candidate, 'eval', 'console.log(Deno.execPath())'], { stderr: 'pipe' });
      if (probe.exitCode === 0) return probe.stdout.toString().trim();
      problems.push(`${candidate}: ${probe.stderr.toString().trim().split('\n')[0]}`);
    } catch (error) {
      problems.push(`${candidate}: ${(error as Error).message}`);
    }
  }
  throw new SmokeFailure(`deno does not run (${problems.join('; ')})`);
}

/**
 * With DATABASE_URL: a scratch database on that server (dropped afterwards), so the smoke never
 * migrates or seeds the database it was pointed at, and no rate limit carries over between runs.
 */
async function scratchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `va_smoke_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = () => postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  const sql = admin();
  try {
    await sql.unsafe(`create database ${name}`);
  } catch (error) {
    throw new SmokeFailure(`cannot create a scratch database on DATABASE_URL: ${(error as Error).message}`);
  } finally {
    await sql.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const sql = admin();
      await sql.unsafe(`drop database if exists ${name} with (force)`);
      await sql.end();
    },
  };
}

function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

async function tryFetch(url: string, init: RequestInit = {}): Promise<Response | null> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
  } catch {
    return null;
  }
}

/** Polls until `check` returns a value, the deadline passes, or deno dies. */
async function waitFor<T>(what: string, seconds: number, deno: Subprocess, check: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (deno.exitCode !== null) throw new SmokeFailure(`deno exited with code ${deno.exitCode} while waiting for ${what}`);
    const value = await check();
    if (value !== null) return value;
    await Bun.sleep(200);
  }
  throw new SmokeFailure(`timed out after ${seconds} s waiting for ${what}`);
}

async function smoke(deno: Subprocess, base: string, dataDir: string, embedded: boolean): Promise<void> {
  await waitFor('GET /healthz → 200', 60, deno, async () => ((await tryFetch(`${base}/healthz`))?.status === 200 ? true : null));

  const sent = await tryFetch(`${base}/v2/visitor/auth/magic-link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: EMAIL }),
  });
  if (!sent) throw new SmokeFailure('POST /v2/visitor/auth/magic-link got no answer');
  const body = (await sent.json().catch(() => null)) as { status?: string } | null;
  if (sent.status !== 202 || body?.status !== 'sent') {
    throw new SmokeFailure(
      `POST /v2/visitor/auth/magic-link answered ${sent.status} ${JSON.stringify(body)}, expected 202 {status:"sent"}`,
    );
  }
  if (!sent.headers.get('x-request-id')) throw new SmokeFailure('POST /v2/visitor/auth/magic-link answered without X-Request-Id');

  await waitFor(`a mail with a link for ${EMAIL} in /_dev/mailbox`, 15, deno, async () => {
    const response = await tryFetch(`${base}/_dev/mailbox?to=${encodeURIComponent(EMAIL)}`);
    if (response?.status !== 200) return null;
    const { items } = (await response.json()) as { items: { link: string | null }[] };
    return items.some((item) => item.link?.startsWith(`${base}/_edge/visitor/access/t/`)) ? true : null;
  });

  deno.kill('SIGTERM');
  const code = await Promise.race([deno.exited, Bun.sleep(10_000).then(() => null)]);
  if (code === null) throw new SmokeFailure('deno did not exit within 10 s of SIGTERM');
  if (code !== 0) throw new SmokeFailure(`deno exited with code ${code} after SIGTERM, expected a clean 0`);
  // The lock file goes only when the runtime closed the database: proof of a graceful shutdown.
  if (embedded && existsSync(join(dataDir, 'pglite.pid'))) throw new SmokeFailure('DATA_DIR/pglite.pid is left behind after shutdown');
}

const dataDir = mkdtempSync(join(tmpdir(), 'va-deno-smoke-'));
let deno: Subprocess<'ignore', 'pipe', 'pipe'> | null = null;
let database: Awaited<ReturnType<typeof scratchDatabase>> | null = null;
const output: string[] = [];
let exitCode = 0;
try {
  const executable = findDeno();
  const port = freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    PORT: String(port),
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
  };
  if (process.env.DENO_DIR) env.DENO_DIR = process.env.DENO_DIR;
  if (process.env.DATABASE_URL) {
    database = await scratchDatabase(process.env.DATABASE_URL);
    env.DATABASE_URL = database.url;
  }
  deno = Bun.spawn([executable, 'run', '-A', 'src/deno.ts'], { cwd: ROOT, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output.push(decoder.decode(chunk, { stream: true }));
  };
  void collect(deno.stdout);
  void collect(deno.stderr);
  await smoke(deno, `http://localhost:${port}`, dataDir, !env.DATABASE_URL);
  console.log('deno smoke: ok');
} catch (error) {
  exitCode = 1;
  let where = '';
  if (output.length) {
    mkdirSync(join(ROOT, 'test/artifacts'), { recursive: true });
    writeFileSync(LOG_FILE, output.join(''));
    where = ` (deno output: ${LOG_FILE})`;
  }
  const reason = error instanceof SmokeFailure ? error.message : `unexpected error: ${(error as Error).message}`;
  console.error(`deno smoke: FAILED: ${reason}${where}`);
} finally {
  if (deno && deno.exitCode === null) {
    deno.kill('SIGKILL');
    await deno.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
  await database?.drop().catch((error) => console.error(`deno smoke: could not drop the scratch database: ${error.message}`));
}
process.exit(exitCode);
