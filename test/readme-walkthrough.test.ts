// The README's "Try it in two minutes" runs as written: every shell block marked `<!-- walkthrough -->`
// runs, in order, in one bash against the real service process (`bun src/server.ts` in development:
// embedded PGlite in a fresh DATA_DIR, the dev mailbox the README reads), and what each block prints
// must match the README's `text` block under it (`…` = anything on that line). Only the environment
// differs from a newcomer's terminal: PORT (a free port) and DATA_DIR, which the README's commands read.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type ServiceProcess } from './support/service-process.ts';

type Step = { script: string; expected: string[] };

/** The marked ```sh blocks of the README, each with the ```text block right after it (its output). */
function walkthroughSteps(readme: string): Step[] {
  const steps: Step[] = [];
  const marked = /<!-- walkthrough -->\n```sh\n([\s\S]*?)\n```\n(?:\n```text\n([\s\S]*?)\n```\n)?/g;
  for (const match of readme.matchAll(marked)) {
    steps.push({ script: match[1]!, expected: match[2] === undefined ? [] : match[2].split('\n') });
  }
  return steps;
}

/** One expected line as a whole-line pattern: literal text, `…` for anything. */
function linePattern(expected: string): RegExp {
  const parts = expected.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*?')}$`);
}

const readme = readFileSync(join(import.meta.dir, '..', 'README.md'), 'utf8');
const steps = walkthroughSteps(readme);
let dir: string;
let service: ServiceProcess;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'va-readme-'));
  // A free port, named up front: the demo tenant's origin is http://localhost:$PORT.
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  port = probe.port;
  probe.stop(true);
  // What `bun run start` does on a fresh checkout: development, embedded database, dev mailbox.
  service = await startService({ NODE_ENV: 'development', PORT: String(port), DATA_DIR: join(dir, 'data') }, 60_000);
}, 90_000); // a first start migrates a fresh embedded database: slow on a loaded machine
afterAll(async () => {
  await service?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the README walkthrough', () => {
  it('has the blocks this test runs: sign in by link, see the course, the edge check, a grant, sign in by code', () => {
    expect(steps.length).toBe(4);
    const all = steps.map((step) => step.script).join('\n');
    for (const route of [
      '/v2/visitor/auth/magic-link',
      '/_dev/mailbox',
      '/v2/visitor/me',
      '/content/demo/',
      '/_edge/visitor/access',
      '/v2/access/grants',
      '/orders/A-1001',
      '/v2/visitor/auth/verify',
    ])
      expect([route, all.includes(route)]).toEqual([route, true]);
    for (const step of steps) expect(step.expected.length).toBeGreaterThan(0);
  });

  it('runs every walkthrough block with bash against the real service and prints what the README shows', async () => {
    // One bash for all blocks (they share LINK, PAT, jar.txt); a marker line separates their outputs.
    const marker = (i: number) => `@@walkthrough-block-${i}@@`;
    const script = ['set -euo pipefail', ...steps.flatMap((step, i) => [`echo '${marker(i)}'`, step.script])].join('\n');
    const child = Bun.spawn(['bash', '-c', script], {
      cwd: dir,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', PORT: String(port), DATA_DIR: join(dir, 'data') },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    const context = `bash exited ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}\n--- service\n${service.output().slice(-3000)}`;
    expect([code, context]).toEqual([0, context]);
    const mismatches: string[] = [];
    steps.forEach((step, i) => {
      const start = stdout.indexOf(`${marker(i)}\n`) + marker(i).length + 1;
      const end = i + 1 < steps.length ? stdout.indexOf(marker(i + 1)) : stdout.length;
      const printed = stdout.slice(start, end).replace(/\n$/, '').split('\n');
      // The README shows the default port; only that differs.
      const expected = step.expected.map((line) => line.replaceAll('localhost:3000', `localhost:${port}`));
      if (printed.length !== expected.length)
        mismatches.push(`block ${i + 1}: printed ${printed.length} lines, README shows ${expected.length}`);
      expected.forEach((line, j) => {
        if (!linePattern(line).test(printed[j] ?? ''))
          mismatches.push(`block ${i + 1} line ${j + 1}: README ${line}\n  printed ${printed[j]}`);
      });
    });
    expect([mismatches, stdout]).toEqual([[], stdout]);
  }, 90_000);

  it('tells the newcomer to open http://localhost:3000 in a browser and sign in as the demo address', () => {
    const section = readme.slice(readme.indexOf('## Try it'), readme.indexOf('<!-- walkthrough -->'));
    expect(section).toContain('open <http://localhost:3000>');
    expect(section).toContain('`demo@example.com`');
    expect(section).toContain('course');
  });
});
