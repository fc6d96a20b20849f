// Reads that may lag a little go to a hot standby (DATABASE_REPLICA_URL); everything else, and any
// read when no replica is fresh enough, goes to the primary.
//
// How fresh a replica is, is measured in the background, never per request: every tick the
// primary's WAL insert position is read (time T, position P), and each replica's replayed
// position R. A replica whose R ≥ P holds every transaction committed before T, so the latest such
// T is the moment its data is known to be "as of"; its staleness is now − T. Unlike
// `now() − pg_last_xact_replay_timestamp()`, this does not grow while the primary is idle (nothing
// to replay), and a replica that stops answering, or stops replaying, grows stale by itself, since
// only a good sample moves T forward.
import type { Db } from './db.ts';
import { sql } from './sql.ts';

/** Where one read goes: a replica and how far behind it may be, or the primary (staleness 0). */
export type ReadSource = { db: Db; replica: boolean; stalenessMs: number };

export interface ReadRouter {
  /** A replica at most `maxStalenessMs` behind (the freshest), else the primary. */
  pick(maxStalenessMs: number): ReadSource;
  /** A read on this replica failed: leave it out until a sample succeeds again. */
  failed(source: ReadSource): void;
}

/** No replicas: every read is the primary's. */
export function primaryOnly(primary: Db): ReadRouter {
  const source: ReadSource = { db: primary, replica: false, stalenessMs: 0 };
  return { pick: () => source, failed: () => {} };
}

/** `pg_lsn` text (`16/B374D848`) as a number that orders like the position. */
export function parseLsn(text: string): bigint {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

type PrimarySample = { atMs: number; lsn: bigint };

type Replica = {
  name: string;
  db: Db;
  /** Wall-clock time its data is known to be as of; null: unusable (no good sample yet, or down). */
  asOfMs: number | null;
  sampling: boolean;
  /** Last problem logged, to log each change once rather than every tick. */
  problem: string | null;
};

export type ReplicaSetOptions = {
  primary: Db;
  replicas: { name: string; db: Db }[];
  sampleEveryMs: number;
  /** Wall clock: replication is physical time, whatever clock the app is given (tests move theirs). */
  nowMs?: () => number;
  onProblem?: (replica: string, problem: string | null) => void;
};

export class ReplicaSet implements ReadRouter {
  private readonly primary: ReadSource;
  private readonly replicas: Replica[];
  /** Recent primary positions, oldest first. */
  private history: PrimarySample[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private tick: Promise<void> | null = null;
  private readonly nowMs: () => number;

  constructor(private readonly options: ReplicaSetOptions) {
    this.primary = { db: options.primary, replica: false, stalenessMs: 0 };
    this.replicas = options.replicas.map((r) => ({ ...r, asOfMs: null, sampling: false, problem: null }));
    this.nowMs = options.nowMs ?? Date.now;
  }

  pick(maxStalenessMs: number): ReadSource {
    if (maxStalenessMs <= 0) return this.primary;
    const now = this.nowMs();
    let best: Replica | null = null;
    for (const replica of this.replicas) {
      if (replica.asOfMs !== null && now - replica.asOfMs <= maxStalenessMs && (!best || replica.asOfMs > best.asOfMs!)) best = replica;
    }
    return best ? { db: best.db, replica: true, stalenessMs: Math.max(0, now - best.asOfMs!) } : this.primary;
  }

  failed(source: ReadSource): void {
    const replica = this.replicas.find((r) => r.db === source.db);
    if (replica) this.mark(replica, null, 'a read failed');
  }

  /** Each replica's staleness in ms (null: not usable), for tests and diagnostics. */
  staleness(): Record<string, number | null> {
    const now = this.nowMs();
    return Object.fromEntries(this.replicas.map((r) => [r.name, r.asOfMs === null ? null : now - r.asOfMs]));
  }

  start(): void {
    if (this.timer) return;
    this.tick = this.sample();
    this.timer = setInterval(() => {
      this.tick = this.sample();
    }, this.options.sampleEveryMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** One sample now (tests; start() samples on its own). */
  async sample(): Promise<void> {
    const atMs = this.nowMs(); // before asking: everything committed by now is at or below the answer
    try {
      const row = await this.options.primary.one<{ lsn: string }>(sql`select pg_current_wal_insert_lsn()::text as lsn`);
      this.history.push({ atMs, lsn: parseLsn(row!.lsn) });
    } catch {
      // Primary unreachable: replicas keep their last "as of" and grow stale by the clock.
    }
    // Enough history to place a replica up to a minute behind; older than that it is unusable anyway.
    const keepFrom = atMs - 60_000;
    while (this.history.length > 1 && this.history[0]!.atMs < keepFrom) this.history.shift();
    await Promise.all(this.replicas.filter((r) => !r.sampling).map((r) => this.sampleReplica(r)));
  }

  private async sampleReplica(replica: Replica): Promise<void> {
    replica.sampling = true;
    try {
      const row = await replica.db.one<{ lsn: string | null }>(sql`select pg_last_wal_replay_lsn()::text as lsn`);
      // null: not a standby (promoted, or a primary listed by mistake): its data may have forked.
      if (!row?.lsn) return this.mark(replica, null, 'not in recovery');
      const replayed = parseLsn(row.lsn);
      let asOf: number | null = null;
      for (const sample of this.history) if (sample.lsn <= replayed) asOf = sample.atMs;
      // Behind every position still remembered: as stale as the oldest one, or more.
      if (asOf === null) return this.mark(replica, null, 'more than a minute behind');
      this.mark(replica, Math.max(asOf, replica.asOfMs ?? asOf), null);
    } catch (error) {
      this.mark(replica, null, `unreachable: ${String((error as Error)?.message ?? error)}`);
    } finally {
      replica.sampling = false;
    }
  }

  private mark(replica: Replica, asOfMs: number | null, problem: string | null): void {
    replica.asOfMs = asOfMs;
    if (problem !== replica.problem) this.options.onProblem?.(replica.name, problem);
    replica.problem = problem;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.tick;
  }

  async close(): Promise<void> {
    await this.stop();
    await Promise.all(this.replicas.map((r) => r.db.close()));
  }
}
