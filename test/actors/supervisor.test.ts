import { describe, expect, it } from 'vitest';
import { assetActorKey } from '../../actors/asset-actor.js';
import type { Supervisor } from '../../actors/supervisor.js';
import { startSupervisor } from '../../actors/supervisor.js';
import { durableFor } from '../../cli/engine.js';
import type { AssetKey, FeatureStore } from '../../state/feature-store.js';
import { StoreError } from '../../state/errors.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import type { World } from './harness.js';
import { actorOptions, BTC, ETH, makeBars, makeWorld, publishAll, reference, settle, testConfig, until } from './harness.js';

const BTC_KEY = assetActorKey(BTC);
const ETH_KEY = assetActorKey(ETH);

function supervise(w: World, assets: readonly AssetKey[] = [BTC]): Supervisor {
  const { asset: _asset, durable: _durable, ...actor } = actorOptions(w.cfg);
  return startSupervisor(w.deps, {
    assets,
    actor,
    durableFor,
    restartMinMs: w.cfg.supervisor.restartMinMs,
    restartMaxMs: w.cfg.supervisor.restartMaxMs,
    maxRestarts: w.cfg.supervisor.maxRestarts,
  });
}

const stateOf = (s: Supervisor, key = BTC_KEY): string | undefined => s.status().find((c) => c.key === key)?.state;

/** A memory FeatureStore whose writeBatch throws while `fail(snapshot stream seq, call number, actor key)` says so. */
function flakyFeatures(fail: (snapshotSeq: number, call: number, actorKey: string) => boolean): { store: FeatureStore; inner: FeatureStore; calls: () => number } {
  const inner = createMemoryFeatureStore({ historyCap: 10_000 });
  let calls = 0;
  return {
    inner,
    calls: () => calls,
    store: {
      ...inner,
      writeBatch: async (vectors, snaps) => {
        calls++;
        if (fail(snaps?.[0]?.[1].streamSeq ?? 0, calls, snaps?.[0]?.[0] ?? '')) throw new Error(`redis went away (call ${calls})`);
        return inner.writeBatch(vectors, snaps);
      },
    },
  };
}

/** The delay of the restart timer just scheduled (the lifecycle timers are hours away). */
const nextDelay = (w: World): number | undefined => {
  const due = w.clock.nextDue();
  return due === undefined ? undefined : due - w.clock.now();
};

describe('supervisor', () => {
  it('starts one actor per asset and reports each', async () => {
    const w = await makeWorld();
    const sup = supervise(w, [BTC, ETH]);
    await publishAll(w, [...makeBars(3, BTC), ...makeBars(4, ETH)]);
    await until(() => w.counters.accepted === 7, 'both assets');
    await settle();
    expect(sup.status()).toEqual([
      { key: BTC_KEY, state: 'warming', restarts: 0, lastSeq: 3 },
      { key: ETH_KEY, state: 'warming', restarts: 0, lastSeq: 7 },
    ]);
    await sup.stop();
  });

  it('restarts an actor whose batch failed after restartMinMs on the clock, and then stores every input exactly once', async () => {
    const bars = makeBars(120);
    const flaky = flakyFeatures((seq, call) => call === 3 && seq > 0);
    const w = await makeWorld({ features: flaky.store });
    const sup = supervise(w);
    await publishAll(w, bars);
    await until(() => stateOf(sup) === 'restarting', 'the actor failed');
    expect(sup.status()[0]).toMatchObject({ restarts: 1, lastError: 'Error: redis went away (call 3)' });
    expect(nextDelay(w)).toBe(w.cfg.supervisor.restartMinMs);

    w.clock.advanceBy(w.cfg.supervisor.restartMinMs - 1);
    await settle(10);
    expect(stateOf(sup)).toBe('restarting');
    w.clock.advanceBy(1);
    await until(() => w.counters.rowsWritten.bars === 120 && stateOf(sup) !== 'restarting', 'everything stored after the restart');
    await settle();
    await sup.stop();

    expect(w.counters.restarts).toBe(1);
    expect(w.counters.rowsWritten).toEqual({ bars: 120, trades: 0, quotes: 0, features: 120 });
    expect(await w.timeseries.counts()).toEqual({ bars: 120, trades: 0, quotes: 0, features: 120 });
    expect((await flaky.inner.latest(BTC))?.values).toEqual(reference(bars));
    expect(sup.status()[0]).toMatchObject({ restarts: 1, lastSeq: 120 });
  });

  it('backs off exponentially between consecutive failures, capped at restartMaxMs', async () => {
    const flaky = flakyFeatures((_seq, call) => call <= 5);
    const w = await makeWorld({ features: flaky.store });
    const sup = supervise(w);
    await publishAll(w, makeBars(40));
    const delays: number[] = [];
    for (let i = 1; i <= 5; i++) {
      await until(() => stateOf(sup) === 'restarting' && sup.status()[0]?.restarts === i, `failure ${i}`);
      const d = nextDelay(w);
      delays.push(d ?? -1);
      w.clock.advanceBy(d ?? 0);
    }
    await until(() => w.counters.rowsWritten.bars === 40, 'stored after five restarts');
    await sup.stop();
    expect(delays).toEqual([100, 200, 400, 800, 1000]);
    expect(w.counters.restarts).toBe(5);
    expect(await w.timeseries.counts()).toMatchObject({ bars: 40, features: 40 });
  });

  it('gives up on an actor after maxRestarts consecutive failures and says so', async () => {
    const cfg = testConfig({ supervisor: { restartMinMs: 10, restartMaxMs: 10, maxRestarts: 2 } });
    const flaky = flakyFeatures(() => true);
    const w = await makeWorld({ cfg, features: flaky.store });
    const sup = supervise(w);
    await publishAll(w, makeBars(5));
    for (let i = 1; i <= 2; i++) {
      await until(() => sup.status()[0]?.restarts === i && stateOf(sup) === 'restarting', `failure ${i}`);
      w.clock.advanceBy(10);
    }
    await until(() => stateOf(sup) === 'failed', 'given up');
    expect(sup.status()[0]).toMatchObject({ state: 'failed', restarts: 2, lastError: expect.stringContaining('redis went away') });
    const calls = flaky.calls();
    w.clock.advanceBy(60_000);
    await settle(10);
    expect(flaky.calls()).toBe(calls);
    expect(w.counters.rowsWritten.bars).toBe(5);
    await sup.stop();
  });

  it('keeps restarting, at restartMaxMs at most, while the store says its failure is retryable (Redis away), and catches up once it is back', async () => {
    const cfg = testConfig({ supervisor: { restartMinMs: 10, restartMaxMs: 40, maxRestarts: 2 } });
    let away = true;
    const inner = createMemoryFeatureStore({ historyCap: 10_000 });
    const store: FeatureStore = {
      ...inner,
      writeBatch: async (vectors, snaps) => {
        if (away) throw new StoreError('redis writeBatch failed: connect ECONNREFUSED 127.0.0.1:6379', true);
        return inner.writeBatch(vectors, snaps);
      },
    };
    const w = await makeWorld({ cfg, features: store });
    const sup = supervise(w);
    const bars = makeBars(30);
    await publishAll(w, bars);
    const delays: number[] = [];
    for (let i = 1; i <= 6; i++) {
      await until(() => sup.status()[0]?.restarts === i && stateOf(sup) === 'restarting', `failure ${i}`);
      const d = nextDelay(w);
      delays.push(d ?? -1);
      if (i < 6) w.clock.advanceBy(d ?? 0);
    }
    expect(delays).toEqual([10, 20, 40, 40, 40, 40]); // three times maxRestarts, never given up
    away = false;
    w.clock.advanceBy(40);
    await until(() => w.counters.rowsWritten.bars === 30 && stateOf(sup) !== 'restarting', 'stored once Redis is back');
    await sup.stop();
    expect(await w.timeseries.counts()).toMatchObject({ bars: 30, features: 30 });
    expect((await inner.latest(BTC))?.values).toEqual(reference(bars));
  });

  it('starts an actor given up on again when asked (the operator resumes), with a fresh failure count', async () => {
    const cfg = testConfig({ supervisor: { restartMinMs: 10, restartMaxMs: 10, maxRestarts: 1 } });
    let broken = true;
    const flaky = flakyFeatures(() => broken);
    const w = await makeWorld({ cfg, features: flaky.store });
    const sup = supervise(w, [BTC, ETH]);
    const bars = makeBars(8);
    await publishAll(w, [...bars, ...makeBars(3, ETH)]);
    await until(() => sup.status().every((c) => c.restarts === 1 && c.state === 'restarting'), 'both failed once');
    w.clock.advanceBy(10);
    await until(() => sup.status().every((c) => c.state === 'failed'), 'both given up');
    broken = false;
    expect(sup.restartGivenUp((a) => a.symbol === BTC.symbol)).toEqual([BTC_KEY]);
    expect(sup.restartGivenUp((a) => a.symbol === BTC.symbol)).toEqual([]); // already running again
    // Each actor recorded its history before its checkpoint failed; what the restart adds is the checkpoint.
    await until(() => sup.status().find((c) => c.key === BTC_KEY)?.lastSeq === 8, 'BTC checkpointed after the restart');
    await settle();
    expect(stateOf(sup, ETH_KEY)).toBe('failed');
    expect(stateOf(sup)).not.toBe('failed');
    expect((await flaky.inner.latest(BTC))?.values).toEqual(reference(bars));
    expect(sup.restartGivenUp()).toEqual([ETH_KEY]);
    await until(() => sup.status().find((c) => c.key === ETH_KEY)?.lastSeq === 11, 'ETH checkpointed too');
    await sup.stop();
    expect(await w.timeseries.counts()).toMatchObject({ bars: 11, features: 11 });
  });

  it('counts only consecutive failures: an actor that made progress since its last restart starts a fresh streak', async () => {
    const cfg = testConfig({ supervisor: { restartMinMs: 10, restartMaxMs: 10_000, maxRestarts: 2 } });
    const failedAt = new Set<number>();
    const flaky = flakyFeatures((seq) => {
      if (seq % 32 !== 0 || failedAt.has(seq)) return false;
      failedAt.add(seq);
      return true;
    });
    const w = await makeWorld({ cfg, features: flaky.store });
    const bars = makeBars(160);
    // Published before the actor starts, so batches end exactly at multiples of 16.
    await publishAll(w, bars);
    const sup = supervise(w);
    const delays: number[] = [];
    for (let i = 1; i <= 5; i++) {
      await until(() => sup.status()[0]?.restarts === i && stateOf(sup) === 'restarting', `failure ${i}`);
      delays.push(nextDelay(w) ?? -1);
      w.clock.advanceBy(nextDelay(w) ?? 0);
    }
    await until(() => w.counters.rowsWritten.bars === 160, 'everything stored');
    await sup.stop();
    expect(delays).toEqual([10, 10, 10, 10, 10]);
    expect(sup.status()[0]).toMatchObject({ restarts: 5 });
    expect((await flaky.inner.latest(BTC))?.values).toEqual(reference(bars));
  });

  it('restarts an actor that failed to start (snapshot unreadable)', async () => {
    const inner = createMemoryFeatureStore({ historyCap: 100 });
    let loads = 0;
    const w = await makeWorld({
      features: {
        ...inner,
        loadSnapshot: async (key) => {
          if (++loads === 1) throw new Error('snapshot unreadable');
          return inner.loadSnapshot(key);
        },
      },
    });
    const sup = supervise(w);
    await until(() => stateOf(sup) === 'restarting' && sup.status()[0]?.restarts === 1, 'start failed');
    w.clock.advanceBy(w.cfg.supervisor.restartMinMs);
    await publishAll(w, makeBars(3));
    await until(() => w.counters.rowsWritten.bars === 3, 'running after the restart');
    expect(stateOf(sup)).toBe('warming');
    await sup.stop();
  });

  it('keeps the other actors running while one fails', async () => {
    let failed = false;
    const flaky = flakyFeatures((_seq, _call, key) => {
      if (key !== BTC_KEY || failed) return false;
      failed = true;
      return true;
    });
    const w = await makeWorld({ features: flaky.store });
    const sup = supervise(w, [BTC, ETH]);
    const ethBars = (): Promise<number> => w.timeseries.bars({ ...ETH, tf: '1h' }).then((b) => b.length);
    await publishAll(w, makeBars(100, ETH));
    await until(async () => (await ethBars()) === 100, 'ETH stored');
    const btc = makeBars(5, BTC);
    await publishAll(w, btc);
    await until(() => stateOf(sup, BTC_KEY) === 'restarting', 'BTC failed');
    await publishAll(w, makeBars(20, ETH, 100));
    await until(async () => (await ethBars()) === 120, 'ETH goes on');
    expect(sup.status().find((c) => c.key === ETH_KEY)).toMatchObject({ restarts: 0 });
    w.clock.advanceBy(w.cfg.supervisor.restartMinMs);
    await until(async () => (await flaky.inner.latest(BTC))?.source === btc[4]?.id, 'BTC after restart');
    expect((await flaky.inner.latest(BTC))?.values).toEqual(reference(btc));
    expect(sup.status().map((c) => c.restarts)).toEqual([1, 0]);
    await sup.stop();
  });

  it('halts and resumes one actor or all; a halted actor emits no features but stores its state', async () => {
    const w = await makeWorld();
    const sup = supervise(w, [BTC, ETH]);
    await publishAll(w, [...makeBars(210, BTC), ...makeBars(210, ETH)]);
    await until(() => w.counters.accepted === 420, 'warm');
    await settle();
    sup.halt(BTC_KEY, 'risk');
    expect(sup.status().map((c) => c.state)).toEqual(['halted', 'live']);
    const emitted = w.published.length;
    await publishAll(w, [...makeBars(5, BTC, 210), ...makeBars(5, ETH, 210)]);
    await until(() => w.counters.accepted === 430, 'more data');
    await settle();
    const after = w.published.slice(emitted);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((v) => v.symbol === 'ETH/USDT')).toBe(true);
    expect(await w.timeseries.counts()).toMatchObject({ bars: 430, features: 430 });
    sup.halt(undefined, 'operator');
    expect(sup.status().map((c) => c.state)).toEqual(['halted', 'halted']);
    sup.resume(ETH_KEY);
    expect(sup.status().map((c) => c.state)).toEqual(['halted', 'live']);
    sup.resume();
    expect(sup.status().map((c) => c.state)).toEqual(['live', 'live']);
    await sup.stop();
  });

  it('keeps an actor halted across its restart', async () => {
    const flaky = flakyFeatures((seq, call) => call === 2 && seq > 0);
    const w = await makeWorld({ features: flaky.store });
    const sup = supervise(w);
    await publishAll(w, makeBars(16));
    await until(() => w.counters.rowsWritten.bars === 16, 'first batch');
    await settle();
    sup.halt(BTC_KEY, 'operator');
    const emitted = w.published.length;
    await publishAll(w, makeBars(16, BTC, 16));
    await until(() => stateOf(sup) === 'restarting', 'failed while halted');
    w.clock.advanceBy(w.cfg.supervisor.restartMinMs);
    await until(() => w.counters.rowsWritten.bars === 32, 'replayed after the restart');
    await settle();
    expect(stateOf(sup)).toBe('halted');
    expect(w.published.length).toBe(emitted);
    sup.resume(BTC_KEY);
    expect(stateOf(sup)).toBe('warming');
    await sup.stop();
  });

  it('applies a halt sent before the actor finished starting', async () => {
    const w = await makeWorld();
    const sup = supervise(w);
    sup.halt(undefined, 'operator');
    await publishAll(w, makeBars(3));
    await until(() => w.counters.rowsWritten.bars === 3, 'data stored');
    await settle();
    expect(stateOf(sup)).toBe('halted');
    expect(w.published).toEqual([]);
    await sup.stop();
  });

  it('cancels a pending restart on stop, leaving no timer and no actor', async () => {
    const flaky = flakyFeatures((seq) => seq > 0);
    const w = await makeWorld({ features: flaky.store });
    const sup = supervise(w);
    await publishAll(w, makeBars(3));
    await until(() => stateOf(sup) === 'restarting', 'failed');
    await sup.stop();
    expect(w.clock.pending()).toBe(0);
    const calls = flaky.calls();
    w.clock.advanceBy(60_000);
    await settle(10);
    expect(flaky.calls()).toBe(calls);
  });

  it('stops an actor that was still starting when stop() was called', async () => {
    const w = await makeWorld();
    const sup = supervise(w);
    await sup.stop();
    await settle(10);
    await publishAll(w, makeBars(3));
    await settle(20);
    expect(w.counters.messagesIn).toBe(0);
    expect(w.clock.pending()).toBe(0);
  });
});
