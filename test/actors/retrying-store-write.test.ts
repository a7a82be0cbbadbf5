import { describe, expect, it } from 'vitest';
import { retryingStoreWrite, StoreRetriesSpentError } from '../../actors/retrying-store-write.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { StoreError } from '../../state/errors.js';
import { settled } from '../support/settled.js';

const POLICY = { attempts: 4, firstDelayMs: 100, maxDelayMs: 250 };

/** A write failing with `errors[i]` on its i-th try (undefined: stored), counting the tries. */
function flaky(errors: readonly (Error | undefined)[]) {
  const w = {
    tries: 0,
    write: async (): Promise<void> => {
      const e = errors[w.tries++];
      if (e !== undefined) throw e;
    },
  };
  return w;
}

describe('store writes tried again (retryingStoreWrite)', () => {
  it('tries a retryable failure again after a doubling backoff on the injected clock, and resolves once stored', async () => {
    const clock = createSimulatedClock(0);
    const retries: [number, number][] = [];
    const retry = retryingStoreWrite(clock, POLICY, (_e, attempt, delayMs) => void retries.push([attempt, delayMs]));
    const down = new StoreError('save risk book: connection terminated', true);
    const w = flaky([down, down]);
    const done = retry(w.write)();
    expect(await settled(done)).toBe(false);
    expect(w.tries).toBe(1);
    clock.advanceTo(99);
    expect(await settled(done)).toBe(false);
    clock.advanceTo(100); // the first wait: 100 ms
    await new Promise((r) => setImmediate(r));
    expect(w.tries).toBe(2);
    clock.advanceTo(299);
    expect(await settled(done)).toBe(false);
    clock.advanceTo(300); // the second: 200 ms
    await done;
    expect(w.tries).toBe(3);
    expect(retries).toEqual([
      [1, 100],
      [2, 200],
    ]);
  });

  it('gives up after `attempts` tries (the waits capped at maxDelayMs) with the last failure', async () => {
    const clock = createSimulatedClock(0);
    const retries: number[] = [];
    const retry = retryingStoreWrite(clock, POLICY, (_e, _attempt, delayMs) => void retries.push(delayMs));
    const w = flaky([1, 2, 3, 4, 5].map((i) => new StoreError(`down ${i}`, true)));
    const done = retry(w.write)();
    done.catch(() => {});
    for (let t = 0; t <= 1_000; t += 50) {
      clock.advanceTo(t);
      await new Promise((r) => setImmediate(r));
    }
    await expect(done).rejects.toThrow('down 4');
    expect(w.tries).toBe(4);
    expect(retries).toEqual([100, 200, 250]);
  });

  it('with the store named, its tries spent say that store, how many tries over how long, and the last failure (the cause)', async () => {
    const clock = createSimulatedClock(0);
    const retry = retryingStoreWrite(clock, POLICY, undefined, 'PostgreSQL (the risk store)');
    const last = new StoreError('save risk book: read ECONNRESET', true);
    const w = flaky([new StoreError('down', true), new StoreError('down', true), new StoreError('down', true), last]);
    const done = retry(w.write)();
    done.catch(() => {});
    for (let t = 0; t <= 1_000; t += 50) {
      clock.advanceTo(t);
      await new Promise((r) => setImmediate(r));
    }
    const e = await done.then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(StoreRetriesSpentError);
    expect(e).toBeInstanceOf(StoreError);
    expect((e as StoreRetriesSpentError).message).toBe('PostgreSQL (the risk store) did not take the write: 4 tries over 0.6 s failed (retries spent), the last with: save risk book: read ECONNRESET');
    expect((e as StoreRetriesSpentError).cause).toBe(last);
    expect((e as StoreRetriesSpentError).retryable).toBe(true);
    // A final failure is passed on as it is: no retry policy ran out.
    const refused = flaky([new StoreError('permission denied', false)]);
    await expect(retry(refused.write)()).rejects.toThrow(/^permission denied$/);
  });

  it('does not try again a failure the store calls final, nor one that is not a store error', async () => {
    const clock = createSimulatedClock(0);
    const retry = retryingStoreWrite(clock, POLICY);
    const refused = flaky([new StoreError('save risk book: permission denied for table risk_book', false)]);
    await expect(retry(refused.write)()).rejects.toThrow('permission denied');
    expect(refused.tries).toBe(1);
    const closed = flaky([new Error('risk store is closed')]);
    await expect(retry(closed.write)()).rejects.toThrow('closed');
    expect(closed.tries).toBe(1);
  });

  it('refuses a policy without a try', () => {
    expect(() => retryingStoreWrite(createSimulatedClock(0), { ...POLICY, attempts: 0 })).toThrow(RangeError);
  });
});
