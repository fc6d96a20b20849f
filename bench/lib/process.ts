// Child processes for the bench: CPU pinning with taskset, free ports, readiness, RSS, clean stop.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export type Pinning = { pinned: boolean; serverCpu: string | null; loadCpu: string | null; why: string };

/** The command's path on PATH, or null. */
export function findTool(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(`${dir}/${command}`)) return `${dir}/${command}`;
  }
  return null;
}

/** Server on CPU 0, load generator on CPU 1, when taskset exists and both CPUs are ours. */
export function choosePinning(): Pinning {
  if (process.env.BENCH_PIN === '0') return { pinned: false, serverCpu: null, loadCpu: null, why: 'BENCH_PIN=0' };
  if (!findTool('taskset'))
    return { pinned: false, serverCpu: null, loadCpu: null, why: 'taskset not found (apt-get install -y util-linux)' };
  const allowed =
    readFileSync('/proc/self/status', 'utf8')
      .match(/^Cpus_allowed_list:\s*(.+)$/m)?.[1]
      ?.trim() ?? '';
  const cpus = expandCpuList(allowed);
  if (cpus.length < 2)
    return { pinned: false, serverCpu: null, loadCpu: null, why: `only ${cpus.length || availableParallelism()} CPU(s) allowed` };
  const probe = Bun.spawnSync(['taskset', '-c', String(cpus[0]), 'true']);
  if (probe.exitCode !== 0) return { pinned: false, serverCpu: null, loadCpu: null, why: 'taskset refused to set affinity' };
  return { pinned: true, serverCpu: String(cpus[0]), loadCpu: String(cpus[1]), why: `server on CPU ${cpus[0]}, wrk on CPU ${cpus[1]}` };
}

function expandCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a!; i <= (b ?? a!); i++) out.push(i);
  }
  return out;
}

export function pinned(cpu: string | null, argv: string[]): string[] {
  return cpu === null ? argv : ['taskset', '-c', cpu, ...argv];
}

/** A port nothing listens on right now (loopback). */
export function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(null) });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

export type Child = {
  pid: number;
  /** Everything the child wrote so far (stdout + stderr), for error messages. */
  output(): string;
  exited: Promise<number>;
  stop(): Promise<number>;
};

export function start(argv: string[], env: Record<string, string>, cwd: string): Child {
  const child = Bun.spawn(argv, { env, cwd, stdout: 'pipe', stderr: 'pipe' });
  let output = '';
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      output += decoder.decode(chunk);
      if (output.length > 64_000) output = output.slice(-32_000); // keep the tail only
    }
  };
  void drain(child.stdout as ReadableStream<Uint8Array>);
  void drain(child.stderr as ReadableStream<Uint8Array>);
  return {
    pid: child.pid, // taskset execs the command, so this is the server's own pid
    output: () => output,
    exited: child.exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? -1;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await child.exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls until the port answers any HTTP response, or throws with the child's output. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited before listening:\n${child.output().trim()}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await Bun.sleep(100);
    }
  }
  throw new Error(`server did not answer on ${url} within ${timeoutMs} ms:\n${child.output().trim()}`);
}

/** Resident set size of a live process, in MiB (VmRSS from /proc). */
export function rssMiB(pid: number): number | null {
  try {
    const kb = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB$/m)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/** The CPU a process last ran on and its allowed list, to confirm pinning held. */
export function cpuAffinity(pid: number): string | null {
  try {
    return (
      readFileSync(`/proc/${pid}/status`, 'utf8')
        .match(/^Cpus_allowed_list:\s*(.+)$/m)?.[1]
        ?.trim() ?? null
    );
  } catch {
    return null;
  }
}

/** user + system CPU time a process has used so far, in ms (from /proc/<pid>/stat). */
export function cpuTimeMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Kernel clock ticks per second (USER_HZ), the unit of /proc/<pid>/stat and /proc/stat times. */
const CLOCK_TICKS = (() => {
  try {
    return Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100;
  } catch {
    return 100; // Linux's USER_HZ on every common architecture
  }
})();

export type CpuSample = Map<string, { busy: number; kernelNet: number; steal: number; total: number }>;

/** Per-CPU jiffies from /proc/stat, to see how busy each core was during a window. */
export function sampleCpus(): CpuSample {
  const sample: CpuSample = new Map();
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const v = m[2]!.split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const steal = v[7] ?? 0;
    sample.set(m[1]!, { busy: total - idle - steal, kernelNet: (v[5] ?? 0) + (v[6] ?? 0), steal, total });
  }
  return sample;
}

export type CpuWindow = {
  /** Busy % of each CPU (steal excluded), e.g. { "0": 99.5, "1": 72.1 }. */
  percent: Record<string, number>;
  /** Busy ms summed over CPUs, steal excluded (irq and softirq included). */
  busyMs: number;
  /** irq + softirq ms summed over CPUs: mostly the loopback network stack, charged to no process. */
  irqMs: number;
  /** Time the hypervisor took, ms summed over CPUs. */
  stealMs: number;
};

export function cpuBusy(before: CpuSample, after: CpuSample): CpuWindow {
  const percent: Record<string, number> = {};
  let busy = 0;
  let irq = 0;
  let steal = 0;
  for (const [cpu, a] of after) {
    const b = before.get(cpu);
    if (!b || a.total === b.total) continue;
    percent[cpu] = (100 * (a.busy - b.busy)) / (a.total - b.total);
    busy += a.busy - b.busy;
    irq += a.kernelNet - b.kernelNet;
    steal += a.steal - b.steal;
  }
  const ms = (jiffies: number) => (jiffies * 1000) / CLOCK_TICKS;
  return { percent, busyMs: ms(busy), irqMs: ms(irq), stealMs: ms(steal) };
}

/** Summed user+system CPU ms of several processes (those that vanished count as 0). */
export function cpuTimeOfMs(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const ms = cpuTimeMs(pid);
    if (ms !== null) out.set(pid, ms);
  }
  return out;
}

/** One line of /proc/loadavg: the 1-minute load and the running/total task counts. */
export function loadAverage(): string {
  try {
    const [one, five, , tasks] = readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/);
    return `${one} (1 min), ${five} (5 min), runnable/total ${tasks}`;
  } catch {
    return 'unknown';
  }
}

/** CPU ms (own + waited-for children) of every process now, from /proc/<pid>/stat. */
export function allProcessCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime stime cutime cstime = fields 14..17
      out.set(Number(name), ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / CLOCK_TICKS);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU ms used between two snapshots by processes other than `ours` (new processes count whole). */
export function otherCpuMs(before: Map<number, number>, after: Map<number, number>, ours: Set<number>): number {
  return otherCpuByProcess(before, after, ours).reduce((sum, p) => sum + p.ms, 0);
}

/** The same, per process, busiest first (pid, command line, ms). */
export function otherCpuByProcess(
  before: Map<number, number>,
  after: Map<number, number>,
  ours: Set<number>,
): { pid: number; ms: number; command: string }[] {
  const out: { pid: number; ms: number; command: string }[] = [];
  for (const [pid, ms] of after) {
    if (ours.has(pid)) continue;
    const used = ms - (before.get(pid) ?? 0);
    if (used <= 0) continue;
    let command = '?';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim().slice(0, 100) || '?';
    } catch {
      // gone
    }
    out.push({ pid, ms: used, command });
  }
  return out.sort((a, b) => b.ms - a.ms);
}
