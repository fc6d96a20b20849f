// The scenario runner of every section (bench/edge.ts, bench/sign-in.ts, bench/growth.ts): one
// server process per scenario, pinned; one sample request checked by hand; wrk warm-up, then the
// measured window with CPU per request of the server, its PostgreSQL backends and wrk; other
// processes' CPU; optional quiet-wait and retries. For sign-in also: per-request values (tokens,
// addresses) minted before each wrk run, a count of the work the server really did (rows it wrote),
// a monitor that runs beside the load (the mail backlog), and the peak RSS.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createBenchDatabase, type BenchDatabase } from './database.ts';
import {
  allProcessCpu,
  cpuAffinity,
  cpuBusy,
  cpuTimeMs,
  cpuTimeOfMs,
  freePort,
  loadAverage,
  otherCpuByProcess,
  otherCpuMs,
  choosePinning,
  pinned,
  rssMiB,
  sampleCpus,
  start,
  waitForHttp,
  type Child,
  type Pinning,
} from './process.ts';
import { runWrk, type DynamicRequest, type WrkResult } from './wrk.ts';

export class BenchError extends Error {}

export function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new BenchError(`${name} must be a number ≥ ${min}, got "${raw}"`);
  return value;
}

export type Settings = {
  seconds: number;
  warmup: number;
  connections: number;
  threads: number;
  pinning: Pinning;
  verbose: boolean;
  quietWaitSeconds: number;
  retries: number;
};

/** The admin connection: only `create database` and `drop database` run on its own database. */
export const ADMIN_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh bench database, or a BenchError naming the admin URL without its credentials. */
export async function newBenchDatabase(): Promise<BenchDatabase> {
  try {
    return await createBenchDatabase(ADMIN_URL);
  } catch (error) {
    throw new BenchError(`cannot create a bench database via ${ADMIN_URL.replace(/\/\/[^@/]*@/, '//…@')}: ${(error as Error).message}`);
  }
}

/** The first lines of every section's output: what runs where, and how busy the machine already is. */
export function printHeader(section: string): void {
  console.log(`${section} bench — ${new Date().toISOString()}`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; bun ${Bun.version}`);
  console.log(`load average before: ${loadAverage()}`);
}

/** The settings every section reads from BENCH_* (see docs/performance.md). */
export function settingsFromEnv(): Settings {
  return {
    seconds: envNumber('BENCH_SECONDS', 10, 1),
    warmup: envNumber('BENCH_WARMUP', 3, 0),
    connections: envNumber('BENCH_CONNECTIONS', 32, 1),
    threads: envNumber('BENCH_THREADS', 1, 1),
    pinning: choosePinning(),
    verbose: process.env.BENCH_VERBOSE === '1',
    quietWaitSeconds: envNumber('BENCH_QUIET_WAIT', 0, 0),
    retries: envNumber('BENCH_RETRIES', 0, 0),
  };
}

/** The RSS target (issue #19): 100 MiB, VmRSS and VmHWM alike. */
export const RSS_LIMIT_MIB = 100;

/** One target of a section: `pass` null for a ratio printed for the record only. */
export type Verdict = { label: string; value: string; target: string; pass: boolean | null; note?: string };

export function printVerdicts(verdicts: Verdict[]): void {
  for (const v of verdicts) {
    const mark = v.pass === null ? '' : v.pass ? 'PASS' : 'MISS';
    console.log(`  ${v.label.padEnd(58)} ${v.value.padStart(10)}   target ${v.target.padEnd(20)} ${mark}`);
    if (v.note) console.log(`  ${''.padEnd(58)} ${v.note}`);
  }
}

/** What wrk sends: the same request every time, or per-request values (see bench/wrk-dynamic.lua). */
export type Load = { path: string; headers: Record<string, string>; dynamic?: DynamicRequest };

export type Phase = 'warmup' | 'measure';

/** What a monitor reports once the load is over (printed by its section). */
export type MonitorReport = Record<string, unknown>;

export type Monitor = {
  /** Right before the warm-up. */
  start(): Promise<void>;
  /** The measured window begins / ends. */
  measureStart(): void;
  measureEnd(): void;
  /** After the load, with the server still running (e.g. wait for the backlog to drain). */
  finish(): Promise<MonitorReport>;
};

export type Scenario<C> = {
  id: string;
  label: string;
  /** The server command (the runner prefixes taskset) and its working folder. */
  argv: (ctx: C, port: number) => string[];
  env: (ctx: C, port: number) => Record<string, string>;
  cwd: string;
  /** The database the server uses: its backends' CPU is counted, its transactions too. */
  database: ((ctx: C) => BenchDatabase) | null;
  /** Once the server answers: whatever needs the live server (e.g. sign in once for a cookie). */
  prepare?: (ctx: C, baseUrl: string) => Promise<void>;
  /** One request by hand, before any load: throws a BenchError if the answer is wrong. */
  sample: (ctx: C, baseUrl: string) => Promise<void>;
  /**
   * The load of a phase. `expected` is how many requests it should cover (for minting tokens):
   * for the warm-up a guess, for the measured run 1.5× the warm-up's rate.
   */
  load: (ctx: C, phase: Phase, expected: number) => Promise<Load>;
  /** Warm-up request-rate guess per second, to mint enough one-use values (default 0: not needed). */
  guessRps?: number;
  /** Rows of the work this scenario does (e.g. sessions created): counted before and after. */
  work?: { label: string; count: (ctx: C) => Promise<number> };
  monitor?: (ctx: C) => Monitor;
  /** After the server stopped (e.g. undo what prepare did to the database). */
  cleanup?: (ctx: C) => Promise<void>;
};

export type Result = WrkResult & {
  id: string;
  label: string;
  rssMiB: number | null;
  /** VmHWM: the most the server was resident at any time. */
  peakRssMiB: number | null;
  serverCpuUsPerRequest: number | null;
  pgCpuUsPerRequest: number | null;
  wrkCpuUsPerRequest: number;
  otherCpuPercent: number;
  otherBeforePercent: number;
  stealPercent: number;
  cpuBusy: Record<string, number>;
  affinity: string | null;
  dbTransactionsPerRequest: number | null;
  /** Rows of work done per request answered (sample + warm-up + measured), e.g. 1.000 session per consume. */
  workPerRequest: number | null;
  workLabel: string | null;
  monitor: MonitorReport | null;
};

/** Peak resident set size of a live process, MiB (VmHWM). */
export function peakRssMiB(pid: number): number | null {
  try {
    const kb = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+)\s+kB$/m)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/** Other processes above this share of one core during a window make its req/s suspect. */
export const NOISY = 25;

/** Other processes' CPU over one second (% of one core); with a budget, waits until under 15 %. */
async function waitForQuiet(budgetSeconds: number, ours: Set<number>): Promise<number> {
  const deadline = Date.now() + budgetSeconds * 1000;
  for (;;) {
    const before = allProcessCpu();
    await Bun.sleep(1000);
    const busy = otherCpuMs(before, allProcessCpu(), ours) / 10;
    if (busy < 15 || Date.now() >= deadline) return busy;
  }
}

const live = new Set<Child>();

export async function stopLive(): Promise<void> {
  for (const child of live) await child.stop();
  live.clear();
}

export async function runScenario<C>(scenario: Scenario<C>, ctx: C, settings: Settings, helpers: Set<number> = new Set()): Promise<Result> {
  const port = freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const database = scenario.database?.(ctx) ?? null;
  const txBefore = database ? await database.transactions() : 0;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...scenario.env(ctx, port) };
  const child = start(pinned(settings.pinning.serverCpu, scenario.argv(ctx, port)), env, scenario.cwd);
  live.add(child);
  try {
    await waitForHttp(`${baseUrl}/`, child);
    await scenario.prepare?.(ctx, baseUrl);
    const workBefore = scenario.work ? await scenario.work.count(ctx) : 0;
    try {
      await scenario.sample(ctx, baseUrl);
    } catch (error) {
      throw new BenchError(`${scenario.id}: ${(error as Error).message}\n${child.output().trim().slice(-2000)}`);
    }

    const ours = new Set([process.pid, child.pid, ...helpers]);
    const quiet = await waitForQuiet(settings.quietWaitSeconds, ours);
    const wrkOptions = (load: Load, seconds: number) => ({
      url: `${baseUrl}${load.path}`,
      headers: load.headers,
      dynamic: load.dynamic,
      seconds,
      threads: settings.threads,
      connections: settings.connections,
      cpu: settings.pinning.loadCpu,
    });
    const monitor = scenario.monitor?.(ctx) ?? null;
    await monitor?.start();
    let warm: WrkResult | null = null;
    if (settings.warmup > 0) {
      warm = await runWrk(
        wrkOptions(await scenario.load(ctx, 'warmup', Math.ceil((scenario.guessRps ?? 0) * settings.warmup)), settings.warmup),
      );
    }
    // Mint for the measured run: 1.5× the warm-up's rate of good answers (or 2× the guess when the
    // warm-up ran out of values or did not run), plus a margin.
    const warmRps = warm && warm.non2xx === 0 ? warm.rps : 2 * (scenario.guessRps ?? 0);
    const measuredLoad = await scenario.load(
      ctx,
      'measure',
      Math.ceil(Math.max(warmRps, scenario.guessRps ?? 0) * settings.seconds * 1.5) + 1000,
    );
    const backends = database ? await database.backendPids() : [];
    for (const pid of backends) ours.add(pid);
    const pgBefore = cpuTimeOfMs(backends);
    const allBefore = allProcessCpu();
    const cpuBefore = cpuTimeMs(child.pid);
    const busyBefore = sampleCpus();
    monitor?.measureStart();
    const result = await runWrk(wrkOptions(measuredLoad, settings.seconds));
    monitor?.measureEnd();
    const busy = cpuBusy(busyBefore, sampleCpus());
    const cpuAfter = cpuTimeMs(child.pid);
    const pgAfter = cpuTimeOfMs(backends);
    const allAfter = allProcessCpu();
    const rss = rssMiB(child.pid);
    const peak = peakRssMiB(child.pid);
    let pgMs = 0;
    for (const [pid, after] of pgAfter) pgMs += after - (pgBefore.get(pid) ?? after);
    const serverMs = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : 0;
    const otherMs = otherCpuMs(allBefore, allAfter, ours);
    if (settings.verbose) {
      const top = otherCpuByProcess(allBefore, allAfter, ours).slice(0, 5);
      console.error(
        `--- other processes during ${scenario.id}: ${top.map((p) => `${p.pid} ${p.ms.toFixed(0)} ms ${p.command}`).join(' | ')}`,
      );
      console.error(`--- wrk ${scenario.id}\n${result.raw}`);
    }
    const monitorReport = monitor ? await monitor.finish() : null;
    const affinity = cpuAffinity(child.pid);
    const answered = result.requests + (warm?.requests ?? 0) + 1;
    const workPerRequest = scenario.work ? ((await scenario.work.count(ctx)) - workBefore) / answered : null;

    const code = await child.stop();
    live.delete(child);
    if (code !== 0 && settings.verbose) console.error(`${scenario.id}: server exited with ${code}\n${child.output()}`);

    let dbPerRequest: number | null = null;
    if (database) {
      await Bun.sleep(300); // backends flush their statistics as they exit
      dbPerRequest = ((await database.transactions()) - txBefore) / answered;
    }
    return {
      ...result,
      id: scenario.id,
      label: scenario.label,
      rssMiB: rss,
      peakRssMiB: peak,
      serverCpuUsPerRequest: cpuBefore !== null && cpuAfter !== null ? (serverMs * 1000) / result.requests : null,
      pgCpuUsPerRequest: database ? (pgMs * 1000) / result.requests : null,
      wrkCpuUsPerRequest: (result.wrkCpuMs * 1000) / result.requests,
      otherCpuPercent: (100 * otherMs) / (result.seconds * 1000),
      otherBeforePercent: quiet,
      stealPercent: (100 * busy.stealMs) / (result.seconds * 1000),
      cpuBusy: busy.percent,
      affinity,
      dbTransactionsPerRequest: dbPerRequest,
      workPerRequest,
      workLabel: scenario.work?.label ?? null,
      monitor: monitorReport,
    };
  } finally {
    if (live.has(child)) {
      await child.stop();
      live.delete(child);
    }
    await scenario.cleanup?.(ctx);
  }
}

/** Runs a scenario, and again (up to `retries` times) while other processes disturbed it; keeps the quietest. */
export async function runWithRetries<C>(scenario: Scenario<C>, ctx: C, settings: Settings, helpers?: Set<number>): Promise<Result> {
  process.stdout.write(`running ${scenario.id} … `);
  let result = await runScenario(scenario, ctx, settings, helpers);
  process.stdout.write(`${fmt.int(result.rps)} req/s`);
  let last = result;
  for (let i = 0; i < settings.retries && result.otherCpuPercent > NOISY; i++) {
    process.stdout.write(` (other processes: ${last.otherCpuPercent.toFixed(0)} % of a core; again) … `);
    last = await runScenario(scenario, ctx, settings, helpers);
    process.stdout.write(`${fmt.int(last.rps)} req/s`);
    if (last.otherCpuPercent < result.otherCpuPercent) result = last;
  }
  if (result !== last) process.stdout.write(` (kept the run with ${result.otherCpuPercent.toFixed(0)} %)`);
  console.log('');
  return result;
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString('en-US'),
  us: (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)} ms` : `${Math.round(n)} µs`),
  mib: (n: number | null) => (n === null ? '-' : n.toFixed(1)),
  num: (n: number | null, digits: number) => (n === null ? '-' : n.toFixed(digits)),
};

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The same rows as a markdown table (to paste into docs/performance.md). */
export function markdown(rows: string[][]): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(rows[0]!), `|${rows[0]!.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** The per-scenario columns every section prints. */
export function resultRows(results: Result[]): string[][] {
  const cpuIds = [...new Set(results.flatMap((r) => Object.keys(r.cpuBusy)))].sort();
  return [
    [
      'scenario',
      'req/s',
      'p50',
      'p99',
      'errors',
      'RSS MiB',
      'peak',
      'CPU µs/req srv',
      'pg',
      'wrk',
      ...cpuIds.map((c) => `CPU${c}`),
      'other',
      'db tx/req',
      'work/req',
    ],
    ...results.map((r) => [
      r.id,
      fmt.int(r.rps),
      fmt.us(r.p50Us),
      fmt.us(r.p99Us),
      fmt.int(r.non2xx + r.socketErrors),
      fmt.mib(r.rssMiB),
      fmt.mib(r.peakRssMiB),
      fmt.num(r.serverCpuUsPerRequest, 1),
      fmt.num(r.pgCpuUsPerRequest, 1),
      fmt.num(r.wrkCpuUsPerRequest, 1),
      ...cpuIds.map((c) => (r.cpuBusy[c] === undefined ? '-' : `${r.cpuBusy[c]!.toFixed(0)} %`)),
      `${r.otherBeforePercent.toFixed(0)}/${r.otherCpuPercent.toFixed(0)} %`,
      fmt.num(r.dbTransactionsPerRequest, 2),
      r.workPerRequest === null ? '-' : `${r.workPerRequest.toFixed(3)} ${r.workLabel}`,
    ]),
  ];
}

export const COLUMN_NOTES =
  '  errors: responses ≥ 400 (a 429 included) + socket errors — must be 0. RSS: VmRSS of the server at the end of the\n' +
  '  load; peak: its VmHWM. CPU µs/req: user+system time per measured request of the server (srv), of the PostgreSQL\n' +
  '  backends of its database (pg) and of wrk. CPUn: whole-core utilisation. other: other processes on the machine, % of\n' +
  '  one core, in the idle second before / during the load. db tx/req: transactions in its database per request.\n' +
  "  work/req: rows of the scenario's work per answered request (a mail queued, a session created) — 1.000 means every\n" +
  '  answer did the real work; a 3xx carrying an error would show here.';
