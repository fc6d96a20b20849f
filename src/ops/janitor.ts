// Keeps the shared-state tables small: expired rate-limit counters and idempotency records.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/db.ts';
import { cleanupIdempotencyKeys } from '../idempotency/idempotency.ts';
import type { RateLimiter } from '../limits/limiter.ts';
import type { Logger } from '../log.ts';

export class Janitor {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly deps: { db: Db; clock: Clock; limiter: RateLimiter; logger: Logger },
    private readonly everyMs = 60_000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sweep(), this.everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass; returns how many rows were removed. */
  async sweep(): Promise<number> {
    const work = (async () => (await this.deps.limiter.cleanup()) + (await cleanupIdempotencyKeys(this.deps)))();
    this.running = work.catch((error) => this.deps.logger.warn('janitor sweep failed', { error: String((error as Error).message) }));
    try {
      return await work;
    } finally {
      this.running = null;
    }
  }
}
