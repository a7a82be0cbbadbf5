import { describe, expect, it } from 'vitest';
import { assetActorKey } from '../../actors/asset-actor.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { startDecisions } from '../../cli/decisions.js';
import type { FeatureSpec } from '../../models/registry/feature-spec.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { FeatureReader } from '../../state/feature-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { Bar } from '../../streams/messages/bar.js';
import { barId, TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { featureVectorId } from '../../streams/messages/feature-vector.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { isolatedConfig } from '../decision/engine-run.js';
import { mulberry32 } from '../models/mulberry32.js';
import { CALIBRATION, gruOnnx, mlpOnnx, SPEC } from './fixtures.js';

const SYMBOL = 'BTC/USDT';
const HOUR = TIMEFRAME_MS['1h'];
const STEPS = 3;
const GRU_SPEC: FeatureSpec = { ...SPEC, window: { steps: STEPS, stepMs: HOUR } };

/** `n` consecutive 1h bars of one symbol and the vector of each, every feature present. */
function barEvents(venue: string, n: number): { bar: Bar; vector: FeatureVector }[] {
  const rng = mulberry32(11);
  let close = 30_000;
  return Array.from({ length: n }, (_, i) => {
    const r = (rng() - 0.5) * 0.02;
    const open = close;
    close *= Math.exp(r);
    const ts = 1_700_000_000_000 - (1_700_000_000_000 % HOUR) + i * HOUR;
    const id = barId(venue, SYMBOL, '1h', ts);
    const bar: Bar = { type: 'md.bar', v: 1, id, venue, symbol: SYMBOL, tf: '1h', open, high: Math.max(open, close) * 1.001, low: Math.min(open, close) * 0.999, close, volume: 10, ts };
    const values = { close, sma_20: close * (1 + (rng() - 0.5) * 0.03), rsi_14: 20 + 60 * rng(), log_ret_1: r, ewma_vol: 0.005 + 0.01 * rng(), atr_14: close * (0.002 + 0.006 * rng()) };
    return { bar, vector: { type: 'feat.vector', v: 1, id: featureVectorId(id), venue, symbol: SYMBOL, ts, source: id, values } };
  });
}

describe('hot swap to a sequence model (cli/decisions.ts)', () => {
  it('fills the windows from the feature history before scoring any bar with the new model, however long the history read takes', async () => {
    const cfg = isolatedConfig([SYMBOL], (c) => ({ ...c, strategy: { ...c.strategy, model: 'dir', timeframe: '1h', topK: 0 }, decision: { idleFlushMs: c.decision.idleFlushMs } }));
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const subjects = subjectsFor(cfg.prefix);
    const registry = createMemoryModelRegistry({ bus, subjects, clock: { now: () => 0 } });
    const base = { format: 'onnx' as const, metrics: {}, calibration: CALIBRATION, trainRange: { from: 0, to: 1 }, configHash: 'swap', details: {} };
    const mlp = await registry.register({ ...base, name: 'dir', featureSpec: SPEC, parentVersion: null }, mlpOnnx(3));
    await registry.promote(mlp.name, mlp.version, { actor: 'test', reason: 'one-row model first' });
    const gru = await registry.register({ ...base, name: 'dir', featureSpec: GRU_SPEC, parentVersion: 1 }, gruOnnx(5, STEPS));

    const asset = cfg.assets[0] as (typeof cfg.assets)[number];
    const events = barEvents(asset.venue, 40);
    // The store as the asset actors leave it: the bars decided before the swap.
    const store = createMemoryFeatureStore({ historyCap: 500 });
    await store.writeBatch(events.slice(0, 20).map((e) => e.vector));
    // A history read that is slow (Redis under load): it waits for `release`.
    let release = (): void => {};
    const held = new Promise<void>((r) => (release = r));
    let reading = (): void => {};
    const reached = new Promise<void>((r) => (reading = r));
    const features: Pick<FeatureReader, 'history'> = {
      history: async (a, n) => {
        reading();
        await held;
        return store.history(a, n);
      },
    };

    const decisions = await startDecisions({ bus, subjects, registry, riskStore: createMemoryRiskStore(), clock: createSimulatedClock(0), log: silentLogger, thread: 'main', features }, cfg);
    if (decisions === undefined) throw new Error('no decisions: the registry has no production model');
    const key = assetActorKey(asset);
    const push = (from: number, to: number): Promise<void> =>
      decisions.sequencer.push(key, events.slice(from, to).map((e, i): AssetEvent => ({ asset: key, streamSeq: from + i + 1, md: e.bar, vector: e.vector })));

    await push(0, 20);
    const swapped = decisions.swapTo(`dir@${gru.version}`);
    await reached;
    // Bars arriving while the history is read: they may wait for it, but not be scored without it.
    const later = push(20, 30);
    await Promise.race([later, new Promise((r) => setTimeout(r, 300))]);
    release();
    await swapped;
    await later;
    await Promise.all([push(30, 40), decisions.stop()]);

    const stats = decisions.strategy.stats();
    expect(stats.skipped).toEqual({});
    expect(stats.predictions).toBe(40);
    expect(decisions.model()).toEqual({ name: 'dir', version: gru.version });
    await registry.close();
    await bus.close();
  });
});
