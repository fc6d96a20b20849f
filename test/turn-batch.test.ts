// Group commit's batcher (src/db/turn-batch.ts): what one turn hands in is one batch; while a
// batcher's statement runs, what arrives waits and goes in the next one, all together.
import { describe, expect, it } from 'bun:test';
import { TurnBatch } from '../src/db/turn-batch.ts';

/** A writer whose batches finish only when the test says so. */
function heldWriter() {
  const batches: number[][] = [];
  const finish: (() => void)[] = [];
  const write = (batch: number[]) => {
    batches.push(batch);
    return new Promise<void>((resolve) => finish.push(resolve));
  };
  return { batches, finish, write };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TurnBatch', () => {
  it('writes what one turn hands in as one batch, after the turn, and holds a lone item back no longer', async () => {
    const w = heldWriter();
    const batcher = new TurnBatch(w.write, { maxBatch: 64, maxInFlight: 1 });
    for (const item of [1, 2, 3]) batcher.add(item);
    expect(w.batches).toEqual([]);
    await nextTurn();
    expect(w.batches).toEqual([[1, 2, 3]]);
    w.finish[0]!();
    await nextTurn();
    batcher.add(4);
    await nextTurn();
    expect(w.batches).toEqual([[1, 2, 3], [4]]);
  });

  it('holds what arrives while a statement runs, turn after turn, and writes it all in the next one', async () => {
    const w = heldWriter();
    const batcher = new TurnBatch(w.write, { maxBatch: 64, maxInFlight: 1 });
    batcher.add(1);
    await nextTurn();
    for (const item of [2, 3, 4]) {
      batcher.add(item);
      await nextTurn();
    }
    expect(w.batches).toEqual([[1]]);
    w.finish[0]!();
    await nextTurn();
    await nextTurn();
    expect(w.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('splits a backlog into batches of at most maxBatch, maxInFlight of them at a time', async () => {
    const w = heldWriter();
    const batcher = new TurnBatch(w.write, { maxBatch: 2, maxInFlight: 2 });
    for (const item of [1, 2, 3, 4, 5]) batcher.add(item);
    await nextTurn();
    expect(w.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    w.finish[1]!();
    await nextTurn();
    await nextTurn();
    expect(w.batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('goes on after a batch whose write rejects', async () => {
    const written: number[][] = [];
    let fail = true;
    const batcher = new TurnBatch(
      async (batch: number[]) => {
        written.push(batch);
        if (fail) {
          fail = false;
          throw new Error('refused');
        }
      },
      { maxBatch: 64, maxInFlight: 1 },
    );
    batcher.add(1);
    await nextTurn();
    batcher.add(2);
    await nextTurn();
    await nextTurn();
    expect(written).toEqual([[1], [2]]);
  });
});
