import { afterAll, describe, expect, it } from 'vitest';
import { assetActorKey } from '../../actors/asset-actor.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { startDecisions } from '../../cli/decisions.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import { predictRows } from '../../models/training/fit-classifier.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { Bus, ValuePublisher } from '../../streams/bus.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { PredictionSchema } from '../../streams/messages/prediction.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { isolatedConfig } from '../decision/engine-run.js';
import { BAR_MS, referenceWindow, trainRealGru } from './gru-on-real-bars.js';
import type { BarEvent, RealGru } from './gru-on-real-bars.js';

const W = 6;
const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const SERVED = 150;

let g: RealGru | undefined;
afterAll(() => g?.tfjs.dispose());
const trained = async (): Promise<RealGru> => (g ??= await trainRealGru(SYMBOLS, '2023-01-01', '2023-04-01', W));

/** The served config, a bus that records the predictions published, and a registry with the GRU in production. */
async function setup(gru: RealGru): Promise<{ cfg: ReturnType<typeof isolatedConfig>; bus: Bus; published: Prediction[]; registry: ReturnType<typeof createMemoryModelRegistry> }> {
  // The simulated clock never moves here: the risk state is written after every release, as in a backtest.
  const cfg = isolatedConfig(SYMBOLS, (c) => ({ ...c, strategy: { ...c.strategy, model: 'direction-gru', timeframe: '1h', topK: 3 }, decision: { idleFlushMs: c.decision.idleFlushMs } }));
  const memory = createMemoryBus();
  await memory.ensureStreams(streamSpecs(cfg));
  const published: Prediction[] = [];
  const predPrefix = `${cfg.prefix}.pred.`;
  // The decision path hands objects to an in-process bus (publishValueNow) and bytes to others (publish).
  const bus: Bus & ValuePublisher = {
    ...memory,
    publish: (subject, data, opts) => {
      if (subject.startsWith(predPrefix)) published.push(PredictionSchema.parse(JSON.parse(new TextDecoder().decode(data))));
      return memory.publish(subject, data, opts);
    },
    publishValue: (subject, value, opts) => {
      if (subject.startsWith(predPrefix)) published.push(PredictionSchema.parse(value));
      return memory.publishValue(subject, value, opts);
    },
    publishValueNow: (subject, value, msgId) => {
      if (subject.startsWith(predPrefix)) published.push(PredictionSchema.parse(value));
      return memory.publishValueNow(subject, value, msgId);
    },
  };
  const registry = createMemoryModelRegistry({ bus, subjects: subjectsFor(cfg.prefix), clock: { now: () => 0 } });
  const v = await registry.register(
    { name: 'direction-gru', format: 'onnx', metrics: {}, featureSpec: gru.featureSpec, calibration: gru.calibration, trainRange: { from: 0, to: 1 }, parentVersion: null, configHash: 'e2e', details: {} },
    gru.onnx,
  );
  await registry.promote(v.name, v.version, { actor: 'test', reason: 'e2e' });
  return { cfg, bus, published, registry };
}

/** Max |Δ| between the published probabilities and tfjs on the reference windows of the same bars. */
function parity(gru: RealGru, published: readonly Prediction[]): number {
  const where = new Map<string, [readonly BarEvent[], number]>();
  for (const all of gru.events.values()) all.forEach((e, k) => where.set(e.vector.id, [all, k]));
  const f = gru.featureSpec.features.length;
  const x = new Float32Array(published.length * W * f);
  published.forEach((p, i) => {
    const [events, k] = where.get(p.source) as [readonly BarEvent[], number];
    x.set(referenceWindow(gru, events, k) as Float32Array, i * W * f);
  });
  const expected = predictRows(gru.tfjs, { x, rows: published.length, shape: [W, f] });
  let diff = 0;
  published.forEach((p, i) => {
    diff = Math.max(diff, Math.abs(p.probs.down - (expected[i * 3] as number)), Math.abs(p.probs.flat - (expected[i * 3 + 1] as number)), Math.abs(p.probs.up - (expected[i * 3 + 2] as number)));
  });
  return diff;
}

describe('decision path (cli/decisions.ts wiring, memory bus) serving a GRU from the registry', () => {
  it('publishes a prediction per bar once each asset has W bars, equal to tfjs on the same windows, through a swap to a GRU registered without the window in its spec', async () => {
    const gru = await trained();
    const { cfg, bus, published, registry } = await setup(gru);
    // Version 2: the same graph as `sextant train --model gru` registered it before specs carried the window.
    const { window: _w, ...legacySpec } = gru.featureSpec;
    const v1 = await registry.get('direction-gru@1');
    await registry.register({ ...v1, featureSpec: legacySpec, parentVersion: 1, details: { kind: 'direction-classifier', model: 'gru', input: { layout: '[batch, window, features]', window: W, order: 'oldest bar first' }, options: { barMs: BAR_MS } } }, gru.onnx);

    const decisions = await startDecisions({ bus, subjects: subjectsFor(cfg.prefix), registry, riskStore: createMemoryRiskStore(), clock: createSimulatedClock(0), log: silentLogger, thread: 'main' }, cfg);
    if (decisions === undefined) throw new Error('no decisions: the registry has no production model');
    expect(decisions.model()).toEqual({ name: 'direction-gru', version: 1 });
    const push = (from: number, to: number): Promise<unknown> =>
      Promise.all(
        SYMBOLS.map((s) => {
          const asset = assetActorKey({ venue: 'binance', symbol: s });
          const served = (gru.events.get(s) as readonly BarEvent[]).slice(-SERVED);
          const events: AssetEvent[] = served.slice(from, to).map((e, i) => ({ asset, streamSeq: from + i + 1, md: e.bar, vector: e.vector }));
          return decisions.sequencer.push(asset, events);
        }),
      );
    await push(0, 80);
    await decisions.swapTo('direction-gru@2');
    expect(decisions.model()).toEqual({ name: 'direction-gru', version: 2 });
    await Promise.all([push(80, SERVED), decisions.stop()]);

    expect(decisions.strategy.stats().skipped).toEqual({ WINDOW_FILLING: (W - 1) * SYMBOLS.length });
    expect(published).toHaveLength((SERVED - (W - 1)) * SYMBOLS.length);
    // The swap keeps the windows (same window, same features): no bar is lost to refilling.
    expect(new Set(published.map((p) => `${p.model.name}@${p.model.version}`))).toEqual(new Set(['direction-gru@1', 'direction-gru@2']));
    for (const p of published) expect(p.attributions).toHaveLength(3);
    expect(parity(gru, published)).toBeLessThan(1e-5);
  });

  it('after a restart, rebuilds the windows from the feature store history (bar vectors of its timeframe) and predicts from the first bar it is sent, redelivered ones included', async () => {
    const gru = await trained();
    const { cfg, bus, published, registry } = await setup(gru);
    // The store as the asset actors left it: bars 0–79 of each symbol, and a tick vector after each bar.
    const features = createMemoryFeatureStore({ historyCap: 500 });
    for (const s of SYMBOLS) {
      const bars = (gru.events.get(s) as readonly BarEvent[]).slice(-SERVED, -SERVED + 80);
      await features.writeBatch(bars.flatMap((e) => [e.vector, { ...e.vector, ts: e.vector.ts + 1000, source: `t:${e.vector.source}`, id: `f:t:${e.vector.source}` }]));
    }
    const decisions = await startDecisions({ bus, subjects: subjectsFor(cfg.prefix), registry, riskStore: createMemoryRiskStore(), clock: createSimulatedClock(0), log: silentLogger, thread: 'main', features }, cfg);
    if (decisions === undefined) throw new Error('no decisions');
    // The restarted engine gets bars 76–149: four redelivered (not acknowledged before the restart), then new ones.
    await Promise.all([
      ...SYMBOLS.map((s) => {
        const asset = assetActorKey({ venue: 'binance', symbol: s });
        const events: AssetEvent[] = (gru.events.get(s) as readonly BarEvent[]).slice(-SERVED + 76).map((e, i) => ({ asset, streamSeq: 77 + i, md: e.bar, vector: e.vector }));
        return decisions.sequencer.push(asset, events);
      }),
      decisions.stop(),
    ]);
    expect(decisions.strategy.stats().skipped).toEqual({});
    expect(published).toHaveLength((SERVED - 76) * SYMBOLS.length);
    expect(parity(gru, published)).toBeLessThan(1e-5);
  });
});
