// Group commit for the sign-in request: the links of requests that arrive in the same event-loop
// turn — or while the previous statement runs (turn-batch.ts) — are written by one statement
// (request-batch-queries.ts), one transaction and one WAL flush for all of them, as the edge's
// lookups of one turn share one statement (access/edge-identity.ts).
// Each request is answered only after the commit that holds its mail, as before; a lone request is
// not held back (the turn ends as soon as the requests already read from the sockets are handled).
//
// One request never fails its neighbours: should the batched statement fail for any reason but an
// unreachable database (a bad row, a unique violation), each request of the batch is written on
// its own, with the same ids — a row the failed statement did not write is written once, and only
// the bad request sees its error.
import { isDatabaseUnavailable, type Db } from '../db/db.ts';
import { TurnBatch } from '../db/turn-batch.ts';
import type { Logger } from '../log.ts';
import { insertLinksWithMail } from './request-batch-queries.ts';
import { insertLinkWithMail, type NewLink } from './queries.ts';

type Settle = { resolve: (written: { visitorId: string }) => void; reject: (error: unknown) => void };
type Waiting = Settle & { link: Promise<NewLink> };
type Ready = Settle & { link: NewLink };

/** Most links per statement; more waiting than this go in the next one. */
export const MAX_LINK_BATCH = 64;

/**
 * One write statement at the database at a time (turn-batch.ts); links that arrive meanwhile go
 * together in the next. Sending each turn's statement at once, several ran side by side, and
 * request-link cost PostgreSQL ~25–40 % more CPU per request and answered fewer of them
 * (docs/performance.md).
 */
export const LINK_BATCHES_IN_FLIGHT = 1;

export class LinkBatch {
  private readonly batches = new TurnBatch<Waiting>((batch) => this.run(batch), {
    maxBatch: MAX_LINK_BATCH,
    maxInFlight: LINK_BATCHES_IN_FLIGHT,
  });

  constructor(
    private readonly db: Db,
    private readonly logger?: Logger,
  ) {}

  /**
   * Writes the link with its mail together with the other links of this turn; its visitor. The
   * link may still be in the making (its payload being sealed): the batch waits for all of them.
   */
  insert(link: Promise<NewLink>): Promise<{ visitorId: string }> {
    link.catch(() => {}); // its failure is this request's alone, reported when the batch runs
    return new Promise((resolve, reject) => this.batches.add({ link, resolve, reject }));
  }

  private async run(waiting: Waiting[]): Promise<void> {
    const settled = await Promise.allSettled(waiting.map((w) => w.link));
    const batch: Ready[] = [];
    settled.forEach((outcome, i) => {
      const w = waiting[i]!;
      if (outcome.status === 'fulfilled') batch.push({ link: outcome.value, resolve: w.resolve, reject: w.reject });
      else w.reject(outcome.reason);
    });
    if (batch.length === 0) return;
    if (batch.length === 1) return this.alone(batch[0]!);
    let visitors: Map<string, string>;
    try {
      visitors = await insertLinksWithMail(
        this.db,
        batch.map((r) => r.link),
      );
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        for (const r of batch) r.reject(error);
        return;
      }
      // The code only: a constraint's detail would name an address.
      this.logger?.warn('batched sign-in statement failed; writing its requests one by one', {
        code: (error as { code?: unknown }).code ?? null,
        requests: batch.length,
      });
      await Promise.all(batch.map((r) => this.alone(r)));
      return;
    }
    for (const r of batch) {
      const visitorId = visitors.get(r.link.linkId);
      if (visitorId) r.resolve({ visitorId });
      else r.reject(new Error('the batched sign-in statement wrote no link for this request'));
    }
  }

  private async alone(r: Ready): Promise<void> {
    try {
      r.resolve(await insertLinkWithMail(this.db, r.link));
    } catch (error) {
      r.reject(error);
    }
  }
}

// One batch per database handle (an app's main pool): every request of a turn shares it.
const batches = new WeakMap<Db, LinkBatch>();

export function linkBatchOf(db: Db, logger?: Logger): LinkBatch {
  let batch = batches.get(db);
  if (!batch) {
    batch = new LinkBatch(db, logger);
    batches.set(db, batch);
  }
  return batch;
}
