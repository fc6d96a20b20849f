// postgres.js 3.4.9's internal Queue grew by one array slot per query under steady load, and every
// connection move scanned those slots (patches/postgres@3.4.9.patch says more). These tests hold the
// patched Queue to its contract (FIFO, remove) and to a bounded backing array, so an upgrade or a
// reinstall that drops the patch fails here rather than in production.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';

type Queue<T> = { readonly length: number; push(x: T): T; shift(): T | undefined; remove(x: T): T | null };

// The package exports no subpath for it: find the file the runtime actually loads for `postgres`.
const entry = import.meta.resolve('postgres');
const { default: createQueue } = (await import(entry.replace(/index\.js$/, 'queue.js'))) as { default: <T>(initial?: T[]) => Queue<T> };

/** An array that remembers the largest length it ever had (Queue copies `initial` with slice(), which keeps the class). */
class MeasuredArray<T> extends Array<T> {
  static largest = 0;
  override push(...items: T[]): number {
    const length = super.push(...items);
    MeasuredArray.largest = Math.max(MeasuredArray.largest, length);
    return length;
  }
}

describe('postgres.js connection queue (patched)', () => {
  test('the patched file is the one loaded', async () => {
    const source = await Bun.file(new URL(entry.replace(/index\.js$/, 'queue.js'))).text();
    expect(source).toContain('Patched by visitor-access');
  });

  test('behaves like a FIFO with removal, whatever the order of operations', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const) }),
      fc.record({ kind: fc.constant('shift' as const) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const queue = createQueue<number>();
        const model: number[] = [];
        let next = 0;
        for (const step of ops) {
          if (step.kind === 'push') {
            queue.push(next);
            model.push(next++);
          } else if (step.kind === 'shift') {
            expect(queue.shift()).toBe(model.length ? model.shift() : undefined);
          } else {
            // Remove something present (or, when empty, something that never was).
            const target = model.length ? model[step.pick % model.length]! : -1;
            expect(queue.remove(target)).toBe(model.length ? target : null);
            if (model.length) model.splice(model.indexOf(target), 1);
          }
          expect(queue.length).toBe(model.length);
        }
        while (model.length) expect(queue.shift()).toBe(model.shift());
        expect(queue.length).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  test('a queue that never runs empty keeps a small backing array', () => {
    // The pool's busy queue under load: take the head connection, give it a query, put it back.
    MeasuredArray.largest = 0;
    const connections = MeasuredArray.from({ length: 10 }, (_, i) => ({ id: i }));
    const queue = createQueue(connections);
    for (let i = 0; i < 100_000; i++) {
      const connection = queue.shift()!;
      expect(queue.remove(connection)).toBeNull(); // what move() does before re-queueing it
      queue.push(connection);
    }
    expect(queue.length).toBe(10);
    // Unpatched, it reached 100,010 slots (one per cycle) and each remove() scanned them all.
    expect(MeasuredArray.largest).toBeLessThan(200);
  });
});
