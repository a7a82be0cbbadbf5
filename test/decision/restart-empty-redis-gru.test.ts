import { describe, expect, it } from 'vitest';
import type { Config } from '../../config/schema.js';
import type { FeatureSpec } from '../../models/registry/feature-spec.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { Bus } from '../../streams/bus.js';
import { decodeText } from '../../streams/codec.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { PredictionSchema } from '../../streams/messages/prediction.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { CALIBRATION, gruOnnx, SPEC } from '../strategy/fixtures.js';
import { readAllStored } from '../support/read-all-stored.js';
import { busFor, restartStores, runBetween } from './engine-restart.js';
import { isolatedConfig } from './engine-run.js';

/**
 * An engine serving a GRU restarted with Redis empty (restarted without persistence) while
 * PostgreSQL kept every feature vector: its windows are filled from the stored vectors, so the
 * bars after the restart are predicted as an uninterrupted run predicted them. Before, they were
 * filled from Redis only, and the first `steps - 1` bars after the restart predicted nothing (the
 * asset actors rebuild their state from the stream without deciding, so those vectors never
 * reached the windows).
 */
const SYMBOLS = ['BTC/USDT'];
const H = TIMEFRAME_MS['1h'];
const STEPS = 4;
const FROM = Date.UTC(2024, 0, 1);
const T1 = FROM + 48 * H;
const T2 = T1 + 8 * H;

async function gruRegistry(bus: Bus, cfg: Config): Promise<ModelRegistry> {
  const registry = createMemoryModelRegistry({ bus, subjects: subjectsFor(cfg.prefix), clock: { now: () => 0 } });
  const spec: FeatureSpec = { ...SPEC, window: { steps: STEPS, stepMs: H } };
  const v = await registry.register({ name: 'dir', format: 'onnx', metrics: {}, featureSpec: spec, calibration: CALIBRATION, trainRange: { from: 0, to: 1 }, parentVersion: null, configHash: 'gru-restart', details: {} }, gruOnnx(5, STEPS));
  await registry.promote(v.name, v.version, { actor: 'test', reason: 'served' });
  return registry;
}

/**
 * The predictions stored of bars at or after `from`, in stream order. The last bar fed (T2 − 1 h)
 * is decided by the engine's stop, which drains what the asset actor has taken (the feed waits
 * until it has taken every bar: test/decision/live-bars-feed.ts).
 */
async function predictionsFrom(bus: Bus, cfg: Config, from: number): Promise<Prediction[]> {
  const subjects = subjectsFor(cfg.prefix);
  const sym = SYMBOLS[0] as string;
  const stored = await readAllStored(bus, streamName(cfg, 'SIGNALS'), subjects.prediction(cfg.strategy.name, cfg.venue, sym));
  return stored.map((m) => PredictionSchema.parse(JSON.parse(decodeText(m.data)))).filter((p) => p.ts >= from);
}

describe('a GRU served across a restart with Redis empty and the stored history kept (memory bus and stores)', () => {
  it('predicts the bars after the restart as an uninterrupted run: same ids, same probabilities, from the first bar', async () => {
    const cfg = isolatedConfig(SYMBOLS, (c) => ({ ...c, strategy: { ...c.strategy, model: 'dir', timeframe: '1h', topK: 0 } }));

    const refBus = await busFor(cfg);
    await runBetween(cfg, restartStores(refBus, await gruRegistry(refBus, cfg), createMemoryRiskStore()), SYMBOLS, FROM, T2);
    const expected = await predictionsFrom(refBus, cfg, T1);
    expect(expected).toHaveLength((T2 - T1) / H);

    const bus = await busFor(cfg);
    const registry = await gruRegistry(bus, cfg);
    const riskStore = createMemoryRiskStore();
    // PostgreSQL: kept across the restart. Redis: a store of its own per run, the second one empty.
    const timeseries = createMemoryTimeseriesStore();
    await runBetween(cfg, { ...restartStores(bus, registry, riskStore), timeseries }, SYMBOLS, FROM, T1);
    await runBetween(cfg, { ...restartStores(bus, registry, riskStore, createMemoryFeatureStore({ historyCap: 10 })), timeseries }, SYMBOLS, T1, T2);
    const got = await predictionsFrom(bus, cfg, T1);
    expect(got.map((p) => [p.id, p.ts, p.probs])).toEqual(expected.map((p) => [p.id, p.ts, p.probs]));
    await Promise.all([refBus.close(), bus.close()]);
  }, 30_000);
});
