// Group commit for requests: what the requests of one event-loop turn hand in is written by one
// statement, sent once the turn's I/O callbacks have run (a lone request is not held back). At most
// `maxInFlight` of a batcher's statements are at the database at once; what arrives meanwhile waits
// and goes in the next statement as soon as one returns. Under load that makes statements bigger
// rather than more numerous: PostgreSQL's cost per row falls with the batch (plan set-up, triggers,
// the commit), so fewer, bigger statements leave it more of the machine for everything else.

// Not a web standard, but Bun, Deno and Node all have it; it runs after the I/O callbacks of this turn.
export const afterThisTurn: (run: () => void) => void = globalThis.setImmediate ?? ((run) => setTimeout(run, 0));

export class TurnBatch<Item> {
  private waiting: Item[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(
    /** Writes one batch; never rejects (each item learns its own outcome through the item). */
    private readonly write: (batch: Item[]) => Promise<void>,
    private readonly options: { maxBatch: number; maxInFlight: number },
  ) {}

  add(item: Item): void {
    this.waiting.push(item);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    afterThisTurn(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.waiting.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.write(batch)
        .catch(() => {}) // write() settles every item itself
        .finally(() => {
          this.inFlight--;
          if (this.waiting.length > 0) this.schedule();
        });
    }
  }
}
