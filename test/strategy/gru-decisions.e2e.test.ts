import { afterAll, describe, expect, it } from 'vitest';
import { assetActorKey } from '../../actors/asset-actor.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { startDecisions } from '../../cli/decisions.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { NewModelVersion } from '../../models/registry/model-registry.js';
import { predictRows } from '../../models/training/fit-classifier.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { Bus } from '../../streams/bus.js';
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

describe('decision path (cli/decisions.ts wiring, memory bus) serving a GRU from the registry', () => {
  it('publishes a prediction per bar once each asset has W bars, equal to tfjs on the same windows, through a swap to a GRU registered without the window in its spec', async () => {
    const gru = await trainRealGru(SYMBOLS, '2023-01-01', '2023-04-01', W);
    g = gru;
    const cfg = isolatedConfig(SYMBOLS, (c) => ({ ...c, strategy: { ...c.strategy, model: 'direction-gru', timeframe: '1h', topK: 3 } }));
    const memory = createMemoryBus();
    await memory.ensureStreams(streamSpecs(cfg));
    const published: Prediction[] = [];
    const predPrefix = `${cfg.prefix}.pred.`;
    const bus: Bus = {
      ...memory,
      publish: (subject, data, opts) => {
        if (subject.startsWith(predPrefix)) published.push(PredictionSchema.parse(JSON.parse(new TextDecoder().decode(data))));
        return memory.publish(subject, data, opts);
      },
    };
    const subjects = subjectsFor(cfg.prefix);
    const registry = createMemoryModelRegistry({ bus, subjects, clock: { now: () => 0 } });
    const base: NewModelVersion = {
      name: 'direction-gru',
      format: 'onnx',
      metrics: {},
      featureSpec: gru.featureSpec,
      calibration: gru.calibration,
      trainRange: { from: 0, to: 1 },
      parentVersion: null,
      configHash: 'e2e',
      details: { kind: 'direction-classifier', model: 'gru' },
    };
    const v1 = await registry.register(base, gru.onnx);
    await registry.promote(v1.name, v1.version, { actor: 'test', reason: 'e2e' });
    // Version 2: the same graph as `sextant train --model gru` registered it before specs carried the window.
    const { window: _w, ...legacySpec } = gru.featureSpec;
    await registry.register({ ...base, featureSpec: legacySpec, parentVersion: 1, details: { kind: 'direction-classifier', model: 'gru', input: { layout: '[batch, window, features]', window: W, order: 'oldest bar first' }, options: { barMs: BAR_MS } } }, gru.onnx);

    const decisions = await startDecisions({ bus, subjects, registry, riskStore: createMemoryRiskStore(), clock: createSimulatedClock(0), log: silentLogger, thread: 'main' }, cfg);
    if (decisions === undefined) throw new Error('no decisions: the registry has no production model');
    expect(decisions.model()).toEqual({ name: 'direction-gru', version: 1 });

    const served = new Map<string, readonly BarEvent[]>();
    const where = new Map<string, [readonly BarEvent[], number]>();
    for (const s of SYMBOLS) {
      const all = gru.events.get(s) as readonly BarEvent[];
      all.forEach((e, k) => where.set(e.vector.id, [all, k]));
      served.set(s, all.slice(-SERVED));
    }
    const push = (from: number, to: number): Promise<unknown> =>
      Promise.all(
        SYMBOLS.map((s) => {
          const asset = assetActorKey({ venue: 'binance', symbol: s });
          const events: AssetEvent[] = (served.get(s) as readonly BarEvent[]).slice(from, to).map((e, i) => ({ asset, streamSeq: from + i + 1, md: e.bar, vector: e.vector }));
          return decisions.sequencer.push(asset, events);
        }),
      );
    await push(0, 80);
    await decisions.swapTo('direction-gru@2');
    expect(decisions.model()).toEqual({ name: 'direction-gru', version: 2 });
    await Promise.all([push(80, SERVED), decisions.stop()]);

    const stats = decisions.strategy.stats();
    expect(stats.skipped).toEqual({ WINDOW_FILLING: (W - 1) * SYMBOLS.length });
    expect(published).toHaveLength((SERVED - (W - 1)) * SYMBOLS.length);
    // The swap keeps the windows (same window, same features): no bar is lost to refilling.
    expect(new Set(published.map((p) => `${p.model.name}@${p.model.version}`))).toEqual(new Set(['direction-gru@1', 'direction-gru@2']));
    for (const p of published) expect(p.attributions).toHaveLength(3);

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
    expect(diff).toBeLessThan(1e-5);
  });
});
