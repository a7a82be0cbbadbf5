import { describe, expect, it } from 'vitest';
import { startQuietStreamCheck } from '../../cli/quiet-stream-check.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { ConsumerState } from '../../streams/bus.js';

const A = 'asset:binance:BTC/USDT';
const B = 'asset:binance:ETH/USDT';
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A decision path whose pending changes wait for `awaited`; `caughtUp` takes an asset off. */
function fakePath(awaited: string[]): { awaitedAssets(): readonly string[]; caughtUp(asset: string): Promise<void>; told: string[] } {
  const told: string[] = [];
  return {
    told,
    awaitedAssets: () => awaited,
    caughtUp: async (asset) => {
      told.push(asset);
      awaited.splice(awaited.indexOf(asset), 1);
    },
  };
}

describe('the quiet-stream check after a restart (cli/quiet-stream-check.ts)', () => {
  it('tells the decision path of an awaited asset whose consumer has nothing pending or unacknowledged, and only of it', async () => {
    const clock = createSimulatedClock(0);
    const path = fakePath([A, B]);
    const consumers = new Map<string, ConsumerState | undefined>([
      ['d-A', { pending: 0, ackPending: 3, ackFloor: 10 }], // redelivered events not decided (acknowledged) yet
      ['d-B', undefined], // its actor has not made its consumer yet
    ]);
    const reads: string[] = [];
    const bus = {
      consumerInfo: async (_stream: string, durable: string) => {
        reads.push(durable);
        return consumers.get(durable);
      },
    };
    const check = startQuietStreamCheck({ path, bus, stream: 'MD', durableOf: (k) => (k === A ? 'd-A' : k === B ? 'd-B' : undefined), clock, intervalMs: 1000, log: silentLogger });
    clock.advanceBy(1000);
    await settle();
    expect(reads).toEqual(['d-A', 'd-B']);
    expect(path.told).toEqual([]);
    consumers.set('d-B', { pending: 0, ackPending: 0, ackFloor: 0 }); // made, and the rebuilt stream holds nothing of B
    consumers.set('d-A', { pending: 2, ackPending: 0, ackFloor: 10 });
    clock.advanceBy(1000);
    await settle();
    expect(path.told).toEqual([B]);
    consumers.set('d-A', { pending: 0, ackPending: 0, ackFloor: 15 });
    clock.advanceBy(1000);
    await settle();
    expect(path.told).toEqual([B, A]);
    // Nothing awaited any more: no more reads.
    expect(clock.pending()).toBe(0);
    check.stop();
  });

  it('reads nothing when no change is pending, and nothing after stop', async () => {
    const clock = createSimulatedClock(0);
    const reads: string[] = [];
    const bus = {
      consumerInfo: async (_stream: string, durable: string) => {
        reads.push(durable);
        return { pending: 1, ackPending: 0, ackFloor: 0 };
      },
    };
    startQuietStreamCheck({ path: fakePath([]), bus, stream: 'MD', durableOf: () => 'd', clock, intervalMs: 1000, log: silentLogger });
    expect(clock.pending()).toBe(0);
    const check = startQuietStreamCheck({ path: fakePath([A]), bus, stream: 'MD', durableOf: () => 'd', clock, intervalMs: 1000, log: silentLogger });
    clock.advanceBy(1000);
    await settle();
    expect(reads).toEqual(['d']);
    check.stop();
    clock.advanceBy(5000);
    await settle();
    expect(reads).toEqual(['d']);
    expect(clock.pending()).toBe(0);
  });
});
