// Runs every shell block of docs/playbooks.md against a live service, so the playbooks cannot rot.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freshDatabase, usingPostgres, type TestDatabase } from './support/database.ts';
import { startService, type ServiceProcess } from './support/service-process.ts';

const doc = readFileSync(new URL('../docs/playbooks.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```sh title=(\S+)\n([\s\S]*?)```/g)].map((m) => ({ title: m[1]!, script: m[2]! }));
const setup = blocks.find((b) => b.title === 'setup')!.script;
const playbooks = blocks.filter((b) => b.title.startsWith('playbook-'));

let service: ServiceProcess;
let dataDir: string;
let database: TestDatabase | null = null;

function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

beforeAll(async () => {
  dataDir = mkdtempSync(`${tmpdir()}/va-playbooks-`);
  if (usingPostgres) database = await freshDatabase();
  const port = freePort();
  service = await startService({
    NODE_ENV: 'development',
    PORT: String(port),
    DATA_DIR: dataDir,
    MAGIC_LINK_TTL: '5', // as the playbooks' setup says
    ...(database ? { DATABASE_URL: database.url! } : {}),
  });
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('docs/playbooks.md', () => {
  it('has a setup block and one runnable block per playbook', () => {
    expect(setup).toContain('jget');
    expect(playbooks.map((p) => p.title)).toEqual([
      'playbook-expired',
      'playbook-used',
      'playbook-cookies',
      'playbook-no-mail',
      'playbook-no-grant',
      'playbook-limits',
      'playbook-other-device',
      'playbook-paid',
      'playbook-lost-device',
      'playbook-forget',
      'playbook-other-email',
    ]);
  });

  for (const playbook of playbooks) {
    it(`${playbook.title} runs green against a live instance`, async () => {
      const work = mkdtempSync(`${tmpdir()}/va-playbook-run-`);
      const child = Bun.spawn(['bash', '-c', `set -eu\n${setup}\n${playbook.script}`], {
        cwd: work,
        env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', BASE: service.base, DATA_DIR: dataDir },
        stdout: 'pipe',
        stderr: 'pipe',
      });
      const code = await child.exited;
      const output = `${await new Response(child.stdout as ReadableStream).text()}${await new Response(child.stderr as ReadableStream).text()}`;
      rmSync(work, { recursive: true, force: true });
      expect([playbook.title, code, code === 0 ? '' : output]).toEqual([playbook.title, 0, '']);
    }, 30_000);
  }
});
