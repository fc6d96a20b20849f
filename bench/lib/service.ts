// How every section starts the service under test: `bun src/server.ts` in production mode, logging
// only warnings, on a bench database. One place, so the sections measure the same process.
//
// Profiling mode: BENCH_CPU_PROF=dir runs the service under Bun's sampling profiler and writes
// `<scenario>.cpuprofile` and `<scenario>.md` there when the scenario's server stops. The profiler
// slows the service and inflates its RSS: a profiled run's numbers are not results.

export function serviceCommand(scenarioId: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  const profile = dir ? ['--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${scenarioId}`] : [];
  return [process.execPath, ...profile, 'src/server.ts'];
}

/**
 * The JavaScriptCore settings the service runs with (the Dockerfile's ENV, `bun run start`): a
 * heap sized for a 128 MiB machine (below 16 GiB JSC grows the heap 2× its live size between full
 * collections, not up to 3×), grown 2× only while the process holds < 0.65 of that (83 MiB: the
 * cached edge stays below) and 1.5× above (sign-in, mail), no FTL tier (its compiler's memory), and
 * no concurrent marking (the JS keeps allocating while a collection marks: ~2 MiB more at the peak);
 * and mimalloc returns freed pages to the OS at once rather than 100 ms later (~1 MiB less at the peak).
 * docs/performance.md, "RSS". BENCH_MEMORY_FLAGS=0 runs the service with Bun's defaults instead.
 */
export const MEMORY_ENV: Record<string, string> =
  process.env.BENCH_MEMORY_FLAGS === '0'
    ? {}
    : {
        BUN_JSC_forceRAMSize: '134217728',
        BUN_JSC_smallHeapRAMFraction: '0.65',
        BUN_JSC_useFTLJIT: '0',
        BUN_JSC_useConcurrentGC: '0',
        MIMALLOC_PURGE_DELAY: '0',
      };

export type ServiceOptions = {
  port: number;
  tokenSecret: string;
  databaseUrl: string;
  dataDir: string;
  /** Where the outbox sends; the edge and growth paths send no mail, so nothing needs to listen. */
  smtpUrl?: string;
  /** Unset: the service's default. */
  edgeCacheSeconds?: number;
};

export function serviceEnv(options: ServiceOptions): Record<string, string> {
  return {
    NODE_ENV: 'production',
    PUBLIC_URL: 'http://localhost', // required in production (where console links point)
    PORT: String(options.port),
    TOKEN_SECRET: options.tokenSecret,
    DATABASE_URL: options.databaseUrl,
    SMTP_URL: options.smtpUrl ?? 'smtp://127.0.0.1:2525',
    LOG_LEVEL: 'warn',
    ...(options.edgeCacheSeconds === undefined ? {} : { EDGE_CACHE_SECONDS: String(options.edgeCacheSeconds) }),
    DATA_DIR: options.dataDir,
    ...MEMORY_ENV,
  };
}
