import { afterAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../cli/engine.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { replay } from '../../gateways/replay.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelVersion, NewModelVersion } from '../../models/registry/model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { Bus } from '../../streams/bus.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { isolatedConfig, NATS_URL, trainedRegistry } from '../decision/engine-run.js';
import { testDataDir } from '../support/data-dir.js';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);
const WINDOW = { from: FROM, to: Date.UTC(2024, 0, 31) };
const HOUR = 3_600_000;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The bars of all assets in time order (ties in asset order, as mergeByTime). */
const mergeByTimeSync = (bars: readonly (readonly Bar[])[]): Bar[] =>
  bars.flatMap((b, k) => b.map((x) => ({ x, k }))).sort((a, b) => a.x.ts - b.x.ts || a.k - b.k).map((e) => e.x);

const newVersion = (v: ModelVersion, metrics: Record<string, number>): NewModelVersion => {
  const { version: _v, aliases: _a, featureSpecHash: _h, artifactSha256: _s, createdAt: _c, ...rest } = v;
  return { ...rest, metrics };
};

describe('a promotion reaches the strategy core through cli/decisions.ts (real NATS JetStream)', () => {
  it('predictions published across the swap have no gap and no duplicate ids, and switch version once', async () => {
    const trained = await trainedRegistry(SYMBOLS, FROM);
    const v1 = await trained.get('direction-mlp@production');
    const bytes = await trained.artifact(v1);
    const cfg = isolatedConfig(SYMBOLS);
    const bus: Bus = await createNatsBus({ url: NATS_URL, name: 'swap-test', connectTimeoutMs: 3000 });
    cleanups.push(async () => {
      await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
      await bus.close();
    });
    await bus.ensureStreams(streamSpecs(cfg));
    const subjects = subjectsFor(cfg.prefix);
    // The engine's registry announces on the engine's bus, as the retraining actor's promotions do.
    const registry = createMemoryModelRegistry({ bus, subjects, clock: { now: () => 0 } });
    await registry.register(newVersion(v1, v1.metrics), bytes);
    await registry.promote('direction-mlp', 1, { actor: 'test', reason: 'champion' });
    const riskStore = createMemoryRiskStore();
    cleanups.push(() => riskStore.close());
    const engine = await startEngine(
      cfg,
      { bus, features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore, audit: createMemoryAuditStore() },
      createLiveClock(),
      silentLogger,
    );
    const files = findBarFiles(testDataDir(), { symbols: SYMBOLS, timeframe: '1h' });
    const bars: Bar[][] = [];
    for (const f of files) {
      const one: Bar[] = [];
      for await (const b of readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: '1h', ...WINDOW })) one.push(b);
      bars.push(one);
    }
    // Three parts: v1 only; the promotion announced while the second part streams in (the swap
    // lands between two batches somewhere in it); the third part after the swap for certain.
    const all = [...mergeByTimeSync(bars)];
    const cut1 = Math.floor(all.length * 0.4);
    const cut2 = Math.floor(all.length * 0.7);
    const waitIn = async (n: number): Promise<void> => {
      const deadline = performance.now() + 60_000;
      while (engine.counters.messagesIn < n) {
        if (performance.now() > deadline) throw new Error(`engine saw ${engine.counters.messagesIn} of ${n}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await replay({ bus, subjects, source: all.slice(0, cut1) });
    await waitIn(cut1);
    const promoting = (async () => {
      const v2 = await registry.register(newVersion(v1, { ...v1.metrics, retrained: 1 }), bytes, { actor: 'sextant-retraining' });
      await registry.promote('direction-mlp', v2.version, { actor: 'sextant-retraining', reason: 'beats the champion in shadow' });
    })();
    await replay({ bus, subjects, source: all.slice(cut1, cut2) });
    await promoting;
    const swapDeadline = performance.now() + 30_000;
    while (engine.decisions?.model().version !== 2 && performance.now() < swapDeadline) await new Promise((r) => setTimeout(r, 10));
    await replay({ bus, subjects, source: all.slice(cut2) });
    await waitIn(all.length);
    await engine.stop();
    expect(engine.decisions?.model()).toEqual({ name: 'direction-mlp', version: 2 });

    const stream = streamName(cfg, 'SIGNALS');
    const preds: Prediction[] = [];
    const c = bus.consume({ stream, durable: 'reader', filterSubject: `${cfg.prefix}.pred.>`, batchSize: 1000 }, (batch) => {
      for (const d of batch) preds.push(JSON.parse(new TextDecoder().decode(d.data)) as Prediction);
    });
    const total = await bus.countMessages(stream, `${cfg.prefix}.pred.>`);
    while (preds.length < total) await new Promise((r) => setTimeout(r, 20));
    await c.stop();

    expect(new Set(preds.map((p) => p.id)).size).toBe(preds.length); // no duplicate ids
    const versions = preds.map((p) => p.model.version);
    expect(versions.filter((v) => v === 1).length).toBeGreaterThan(0);
    expect(versions.filter((v) => v === 2).length).toBeGreaterThan(0);
    for (const sym of SYMBOLS) {
      const mine = preds.filter((p) => p.symbol === sym);
      const ts = mine.map((p) => p.ts);
      // No gap: one prediction per bar from the first scored bar to the last bar of the window.
      const barTs = (bars.find((b) => b[0]?.symbol === sym) ?? []).map((b) => b.ts).filter((t) => t >= (ts[0] as number));
      expect(ts).toEqual(barTs);
      expect(ts.every((t, i) => i === 0 || t - (ts[i - 1] as number) === HOUR)).toBe(true);
      // Per asset the version switches once, from 1 to 2.
      const vs = mine.map((p) => p.model.version);
      expect(vs).toEqual([...vs].sort());
    }
  }, 180_000);
});
