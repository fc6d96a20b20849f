// Chooses the database: DATABASE_URL → real PostgreSQL; otherwise embedded PGlite in DATA_DIR
// (private: 0700, see data-dir.ts), guarded by a pid lock file because only one process may hold a
// PGlite data folder.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { makeDataDirPrivate } from './data-dir.ts';
import type { Db } from './db.ts';
import { openPostgres, openPostgresAsyncCommit } from './postgres.ts';
import { ReplicaSet } from './replicas.ts';

export class DataDirBusyError extends Error {
  constructor(dir: string, pid: number) {
    super(`the embedded database in ${dir} is in use by process ${pid} (stop it, or set DATABASE_URL)`);
    this.name = 'DataDirBusyError';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

function lockDataDir(dir: string): () => void {
  makeDataDirPrivate(dir);
  const lockFile = `${dir}/pglite.pid`;
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch {
    const holder = Number(readFileSync(lockFile, 'utf8'));
    if (Number.isInteger(holder) && holder !== process.pid && processAlive(holder)) throw new DataDirBusyError(dir, holder);
    // Stale: its process is gone.
    writeFileSync(lockFile, String(process.pid));
  }
  return () => rmSync(lockFile, { force: true });
}

export async function openDatabase(config: Config): Promise<Db> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, { prepare: config.databasePrepare });
  const unlock = lockDataDir(config.dataDir);
  try {
    // Loaded only here: with DATABASE_URL the embedded database's module never takes memory.
    const { openPglite } = await import('./pglite.ts');
    const { db } = await openPglite({ dataDir: `${config.dataDir}/pglite` });
    // PGlite creates its files as the umask allows (Deno's entry sets none): tighten them too.
    makeDataDirPrivate(config.dataDir);
    const close = db.close.bind(db);
    return Object.assign(db, {
      async close() {
        await close();
        unlock();
      },
    });
  } catch (error) {
    unlock();
    throw error;
  }
}

export type SidePools = {
  /** Rate-limit counters and the request log: committed asynchronously (see below). */
  counters: Db;
  /** The mail outbox worker's own connections, so its statements never queue behind requests. */
  outbox: Db;
  /** The webhook worker's own connections: committed asynchronously (see below). */
  webhooks: Db;
  close(): Promise<void>;
};

/**
 * On real PostgreSQL, two small pools beside the main one. Counters are bumped by every limited
 * request, many on the same row (per storefront); a synchronous commit holds that row's lock until
 * the WAL is flushed, so bumps queue behind each other (docs/performance.md: 350 → 99 µs of
 * PostgreSQL per request without the wait). Losing the last few milliseconds of counts or request
 * diagnostics in a database crash is harmless; links, sessions, grants and mail stay synchronous.
 * The webhook worker's statements (claim, delivered/retry/dead, the opened-without-confirm sweep)
 * commit asynchronously too, so their WAL flushes stop competing with sign-in's: each is one
 * statement in a transaction of its own, so a crash loses whole ones, and delivery is at least once
 * anyway — a lost claim or outcome only sends the event again after its lease (the receiver dedups
 * by `webhook-id`), a lost sweep row is found again by the next sweep. The events themselves are
 * written by the request's own synchronous transaction, and a re-send (console, CLI) goes through
 * the main pool. Embedded PGlite has a single connection: everything shares it.
 */
/** One database for every purpose (PGlite's single connection, or a database handed in by tests). */
export function sharedPools(main: Db): SidePools {
  return { counters: main, outbox: main, webhooks: main, close: async () => {} };
}

/** Connections of each side pool (beside the main pool's POOL_SIZE): what an instance opens at most. */
export const SIDE_POOL_SIZE = { counters: 4, outbox: 2, webhooks: 2 } as const;

export async function openSidePools(config: Config, main: Db): Promise<SidePools> {
  if (!config.databaseUrl || main.kind !== 'postgres') return sharedPools(main);
  const prepare = config.databasePrepare;
  const url = config.databaseUrl;
  const counters = await openPostgresAsyncCommit(url, {
    max: SIDE_POOL_SIZE.counters,
    applicationName: 'visitor-access-counters',
    prepare,
  });
  const outbox = openPostgres(url, { max: SIDE_POOL_SIZE.outbox, applicationName: 'visitor-access-outbox', prepare });
  const webhooks = await openPostgresAsyncCommit(url, {
    max: SIDE_POOL_SIZE.webhooks,
    applicationName: 'visitor-access-webhooks',
    prepare,
  });
  return {
    counters,
    outbox,
    webhooks,
    async close() {
      await Promise.all([counters.close(), outbox.close(), webhooks.close()]);
    },
  };
}

/** A replica's name in logs: host, port and database, never its credentials. */
function replicaName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.host}${parsed.pathname}`;
}

/**
 * DATABASE_REPLICA_URL's standbys, each with its own pool, sampled in the background often enough
 * (a tenth of EDGE_CACHE_SECONDS, 0.1–1 s) that a replica falling behind stops answering well
 * within the edge's bound. null without replicas (or on PGlite).
 */
export function openReplicas(config: Config, primary: Db, logger: Logger): ReplicaSet | null {
  if (!config.databaseReplicaUrls.length || primary.kind !== 'postgres') return null;
  const replicas = config.databaseReplicaUrls.map((url) => ({
    name: replicaName(url),
    db: openPostgres(url, { applicationName: 'visitor-access-replica', prepare: config.databasePrepare }),
  }));
  return new ReplicaSet({
    primary,
    replicas,
    sampleEveryMs: Math.min(1000, Math.max(100, config.edgeCacheSeconds * 100)),
    onProblem(replica, problem) {
      if (problem) logger.warn('replica not used', { replica, problem });
      else logger.info('replica in use', { replica });
    },
  });
}
