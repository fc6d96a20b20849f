// `bun run bench`: every section, one after the other, then every target in one table.
//   edge     bench/edge.ts     the edge check vs bare Bun.serve (the ceiling) and a select-1 floor
//   sign-in  bench/sign-in.ts  request-link, consume, session read: ours vs Better Auth side by side;
//                              request-link without / with a webhook endpoint taking every event
//   mail     bench/sign-in.ts  the outbox keeps up with request-link (part of ours-request)
//   growth   bench/growth.ts   edge check and /me with 1 k, 100 k and 1 M sessions
// BENCH_ONLY=edge|sign-in|mail|growth (comma-separated) picks sections; to pick single scenarios,
// run a section's file with BENCH_ONLY=<scenario ids>. BENCH_OUT=file: all results as JSON.
// Every other BENCH_* variable goes to each section (see their headers). Bounded: about 8–9 minutes
// with the defaults on 2 cores. Exit 0 even when a target is missed: this is a report.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fmt, markdown, RSS_LIMIT_MIB, type Verdict } from './lib/runner.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECTIONS = ['edge', 'sign-in', 'mail', 'growth'] as const;
type Section = (typeof SECTIONS)[number];

const chosen = process.env.BENCH_ONLY?.split(',')
  .map((s) => s.trim())
  .filter(Boolean) ?? [...SECTIONS];
const unknown = chosen.filter((s) => !SECTIONS.includes(s as Section));
if (unknown.length) {
  console.error(
    `BENCH_ONLY takes sections (${SECTIONS.join(', ')}), got ${unknown.join(', ')}. To pick scenarios, run bun bench/edge.ts, bench/sign-in.ts or bench/growth.ts with BENCH_ONLY=<scenario ids>.`,
  );
  process.exit(2);
}
const has = (s: Section) => chosen.includes(s);

type Part = { section: string; file: string; env: Record<string, string> };
const parts: Part[] = [];
if (has('edge')) parts.push({ section: 'edge', file: 'bench/edge.ts', env: {} });
if (has('sign-in') || has('mail'))
  parts.push({
    section: [has('sign-in') && 'sign-in', has('mail') && 'mail'].filter(Boolean).join(' + '),
    file: 'bench/sign-in.ts',
    env: { BENCH_SECTIONS: [has('sign-in') && 'sign-in', has('mail') && 'mail'].filter(Boolean).join(',') },
  });
if (has('growth')) parts.push({ section: 'growth', file: 'bench/growth.ts', env: {} });

const tmp = mkdtempSync(`${tmpdir()}/va-bench-all-`);
const started = Date.now();
const outputs: Record<string, unknown> = {};
const failures: string[] = [];
let child: ReturnType<typeof Bun.spawn> | null = null;
process.on('SIGINT', () => {
  // The section cleans up after itself (drops its databases) on SIGINT; wait for it.
  child?.kill('SIGINT');
});

for (const part of parts) {
  const out = `${tmp}/${part.file.replace(/\W+/g, '_')}.json`;
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...part.env, BENCH_OUT: out };
  delete env.BENCH_ONLY;
  console.log(`\n======== ${part.section} (${part.file}) ========\n`);
  child = Bun.spawn([process.execPath, part.file], { cwd: ROOT, env, stdout: 'inherit', stderr: 'inherit' });
  const code = await child.exited;
  child = null;
  if (code !== 0) {
    failures.push(`${part.file} exited with ${code}`);
    if (code === 130) break;
    continue;
  }
  outputs[part.file] = JSON.parse(readFileSync(out, 'utf8'));
}
rmSync(tmp, { recursive: true, force: true });

// ---------------------------------------------------------------------------------------------
// Every target in one place

type EdgeResult = {
  id: string;
  rps: number;
  p99Us: number;
  rssMiB: number | null;
  serverCpuUsPerRequest: number | null;
  pgCpuUsPerRequest: number | null;
  otherCpuPercent: number;
  non2xx: number;
  socketErrors: number;
};
const verdicts: Verdict[] = [];
const edge = outputs['bench/edge.ts'] as { results: EdgeResult[] } | undefined;
if (edge) {
  const by = new Map(edge.results.map((r) => [r.id, r]));
  const cpu = (r: EdgeResult) => (r.serverCpuUsPerRequest ?? 0) + (r.pgCpuUsPerRequest ?? 0);
  for (const [label, a, b, target] of [
    ['edge cached / ceiling (bare Bun.serve)', 'edge-cached', 'ceiling', 0.6],
    ['edge uncached / select-1 floor', 'edge-uncached', 'select1', 0.8],
  ] as const) {
    const x = by.get(a);
    const y = by.get(b);
    if (!x || !y) continue;
    const noisy = [x, y].filter((r) => r.otherCpuPercent > 25).map((r) => `${r.otherCpuPercent.toFixed(0)} % during ${r.id}`);
    verdicts.push({
      label,
      value: `${((100 * x.rps) / y.rps).toFixed(1)} %`,
      target: `≥ ${target * 100} %`,
      pass: x.rps / y.rps >= target && x.non2xx + x.socketErrors === 0,
      note: `${fmt.int(x.rps)} vs ${fmt.int(y.rps)} req/s; by CPU µs/req ${((100 * cpu(y)) / cpu(x)).toFixed(1)} %${noisy.length ? `; unreliable: other processes took ${noisy.join(', ')}` : ''}`,
    });
  }
  for (const id of ['edge-cached', 'edge-uncached']) {
    const alone = by.get(id);
    const loaded = by.get(`${id}-overload`);
    if (!alone || !loaded) continue;
    const factor = loaded.p99Us / alone.p99Us;
    const noisy = [alone, loaded].filter((r) => r.otherCpuPercent > 25).map((r) => `${r.otherCpuPercent.toFixed(0)} % during ${r.id}`);
    verdicts.push({
      label: `${id} p99 while sign-in is overloaded / alone`,
      value: `${factor.toFixed(2)}×`,
      target: '≤ 2×',
      pass: factor <= 2 && loaded.non2xx + loaded.socketErrors === 0,
      note: `p99 ${fmt.us(loaded.p99Us)} vs ${fmt.us(alone.p99Us)}${noisy.length ? `; unreliable: other processes took ${noisy.join(', ')}` : ''}`,
    });
  }
  const mine = edge.results.filter((r) => r.id.startsWith('edge-'));
  if (mine.length) {
    const rss = Math.max(...mine.map((r) => r.rssMiB ?? 0));
    verdicts.push({
      label: 'our RSS under load (edge scenarios, VmRSS at the end)',
      value: `${rss.toFixed(1)} MiB`,
      target: `≤ ${RSS_LIMIT_MIB} MiB`,
      pass: rss <= RSS_LIMIT_MIB,
    });
  }
}
for (const file of ['bench/sign-in.ts', 'bench/growth.ts']) {
  const part = outputs[file] as { verdicts: Verdict[] } | undefined;
  if (part) verdicts.push(...part.verdicts);
}

if (verdicts.length) {
  console.log('\n======== all targets, this run ========\n');
  const rows = [
    ['target', 'measured', 'wanted', 'verdict', 'notes'],
    ...verdicts.map((v) => [v.label, v.value, v.target, v.pass === null ? 'info' : v.pass ? 'PASS' : '**MISS**', v.note ?? '']),
  ];
  console.log(markdown(rows));
  const judged = verdicts.filter((v) => v.pass !== null);
  const misses = judged.filter((v) => !v.pass).length;
  console.log(
    `\n${misses ? `${misses} of ${judged.length} targets missed` : `all ${judged.length} targets met`} — ${new Date().toISOString()}, ${((Date.now() - started) / 60000).toFixed(1)} min in all`,
  );
}
if (process.env.BENCH_OUT)
  writeFileSync(process.env.BENCH_OUT, `${JSON.stringify({ date: new Date().toISOString(), sections: outputs, verdicts }, null, 2)}\n`);
if (failures.length) {
  console.error(`\nbench: ${failures.join('; ')}`);
  process.exit(1);
}
