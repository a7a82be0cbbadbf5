import { describe, expect, it } from 'vitest';
import { flattenBatches } from '../../gateways/historical/flatten-batches.js';

async function* batches(log: string[], ...bs: number[][]): AsyncGenerator<number[]> {
  try {
    for (const b of bs) yield b;
  } finally {
    log.push('closed');
  }
}

describe('flattenBatches', () => {
  it('hands out every item in order, skipping empty batches', async () => {
    const out: number[] = [];
    for await (const x of flattenBatches(batches([], [1, 2], [], [3], [4, 5]))) out.push(x);
    expect(out).toEqual([1, 2, 3, 4, 5]);
  });

  it('serves overlapping next() calls in order', async () => {
    const it = flattenBatches(batches([], [1], [2], [3]));
    const results = await Promise.all([it.next(), it.next(), it.next(), it.next()]);
    expect(results).toEqual([
      { done: false, value: 1 },
      { done: false, value: 2 },
      { done: false, value: 3 },
      { done: true, value: undefined },
    ]);
  });

  it('closes the batches when the consumer stops early', async () => {
    const log: string[] = [];
    for await (const x of flattenBatches(batches(log, [1, 2], [3]))) if (x === 1) break;
    expect(log).toEqual(['closed']);
  });

  it('passes an error on after the items before it', async () => {
    async function* failing(): AsyncGenerator<number[]> {
      yield [1, 2];
      throw new Error('bad row');
    }
    const seen: number[] = [];
    const it = flattenBatches(failing());
    await expect((async () => {
      for await (const x of it) seen.push(x);
    })()).rejects.toThrow('bad row');
    expect(seen).toEqual([1, 2]);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });
});
