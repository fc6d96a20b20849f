// Runs Debian's wrk against one URL and returns its numbers (via bench/wrk-report.lua).
import { fileURLToPath } from 'node:url';
import { pinned } from './process.ts';

const REPORTER = fileURLToPath(new URL('../wrk-report.lua', import.meta.url));
const DYNAMIC = fileURLToPath(new URL('../wrk-dynamic.lua', import.meta.url));

/**
 * Requests that differ one from the next (bench/wrk-dynamic.lua): `{v}` in path, body and header is
 * replaced per request by the next value of `source` (`email:RUN`, `once:FILE`, `cycle:FILE`).
 */
export type DynamicRequest = { method: string; path: string; body?: string; header?: string; source: string };

export type WrkOptions = {
  url: string;
  headers: Record<string, string>;
  seconds: number;
  threads: number;
  connections: number;
  cpu: string | null;
  /** Per-request values through bench/wrk-dynamic.lua; without it, every request is the same. */
  dynamic?: DynamicRequest;
  /** With `dynamic`: after a 503, the next request waits this long (clients that honour Retry-After). */
  retryAfterMs?: number;
};

export type WrkResult = {
  requests: number;
  seconds: number;
  rps: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
  /** Responses with a status > 399 ("Non-2xx or 3xx responses"). */
  non2xx: number;
  socketErrors: number;
  /** CPU time wrk itself used (user + system), ms. */
  wrkCpuMs: number;
  raw: string;
};

export const WRK_INSTALL_HINT =
  'wrk is not installed. Install it with:  apt-get install -y wrk   (Debian/Ubuntu; as root, after apt-get update)';

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const argv = [
    'wrk',
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    '--timeout',
    '5s',
    '-s',
    options.dynamic ? DYNAMIC : REPORTER,
    ...Object.entries(options.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    options.url,
    ...(options.dynamic
      ? [
          '--',
          options.dynamic.method,
          options.dynamic.path,
          options.dynamic.body ?? '-',
          options.dynamic.source,
          String(options.threads),
          ...(options.dynamic.header ? [options.dynamic.header] : []),
        ]
      : []),
  ];
  const env = options.retryAfterMs === undefined ? process.env : { ...process.env, WRK_RETRY_AFTER_MS: String(options.retryAfterMs) };
  const child = Bun.spawn(pinned(options.cpu, argv), { stdout: 'pipe', stderr: 'pipe', env });
  const [raw, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${err.trim() || raw.trim()}`);
  const line = raw.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (!line) throw new Error(`wrk printed no report line:\n${raw}\n${err}`);
  const r = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, number>;
  const seconds = r.duration_us! / 1e6;
  return {
    requests: r.requests!,
    seconds,
    rps: r.requests! / seconds,
    p50Us: r.p50_us!,
    p90Us: r.p90_us!,
    p99Us: r.p99_us!,
    meanUs: r.mean_us!,
    maxUs: r.max_us!,
    non2xx: r.status_errors!,
    socketErrors: r.connect_errors! + r.read_errors! + r.write_errors! + r.timeouts!,
    wrkCpuMs: Number(child.resourceUsage()?.cpuTime.total ?? 0n) / 1000,
    raw: raw
      .split('\n')
      .filter((l) => !l.startsWith('BENCH_JSON '))
      .join('\n'),
  };
}
