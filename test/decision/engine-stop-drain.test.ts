import { describe, expect, it } from 'vitest';
import { durableFor } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import type { FeatureSpec } from '../../models/registry/feature-spec.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { Bus } from '../../streams/bus.js';
import { decodeText, encode } from '../../streams/codec.js';
import type { Bar } from '../../streams/messages/bar.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import { PredictionSchema } from '../../streams/messages/prediction.js';
import type { MemoryBus } from '../../streams/memory-bus.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { CALIBRATION, gruOnnx, SPEC } from '../strategy/fixtures.js';
import { testDataDir } from '../support/data-dir.js';
import { readAllStored } from '../support/read-all-stored.js';
import { busFor, restartStores, startLive } from './engine-restart.js';
import { isolatedConfig } from './engine-run.js';
import { feedLiveBars } from './live-bars-feed.js';

/**
 * The engine's stop (`Engine.stop`, `sextant run` on SIGTERM) drains: every bar an asset actor
 * has been handed when the stop begins is decided and acknowledged before the stop resolves,
 * also one that reaches the actor only after the sequencer was closed, and one the sequencer
 * still holds for another asset; a bar the actor has not been handed yet is left unacknowledged
 * and decided by the next start, once. When a batch reaches the actor is in the test's hands.
 */
const H = TIMEFRAME_MS['1h'];
const STEPS = 4;
const FROM = Date.UTC(2024, 0, 1);
const T1 = FROM + 48 * H;

async function gruRegistry(bus: Bus, cfg: Config): Promise<ModelRegistry> {
  const registry = createMemoryModelRegistry({ bus, subjects: subjectsFor(cfg.prefix), clock: { now: () => 0 } });
  const spec: FeatureSpec = { ...SPEC, window: { steps: STEPS, stepMs: H } };
  const v = await registry.register({ name: 'dir', format: 'onnx', metrics: {}, featureSpec: spec, calibration: CALIBRATION, trainRange: { from: 0, to: 1 }, parentVersion: null, configHash: 'stop-drain', details: {} }, gruOnnx(5, STEPS));
  await registry.promote(v.name, v.version, { actor: 'test', reason: 'served' });
  return registry;
}

/** `bus`, where the next batch for `durable` after `hold()` waits, handed to the consumption but not to the actor, until `pass()`. */
function gated(bus: MemoryBus, durable: string) {
  let armed = false;
  let pass: (() => void) | undefined;
  let heldNow: (() => void) | undefined;
  const gatedBus: MemoryBus = {
    ...bus,
    consume: (spec, handler) =>
      bus.consume(spec, async (batch) => {
        if (armed && spec.durable === durable) {
          armed = false;
          await new Promise<void>((r) => {
            pass = r;
            heldNow?.();
          });
        }
        return handler(batch);
      }),
  };
  return {
    bus: gatedBus,
    /** Resolves once the next batch is held. */
    hold: (): Promise<void> => {
      armed = true;
      return new Promise<void>((r) => (heldNow = r));
    },
    pass: (): void => pass?.(),
  };
}

/** The 1h bar of `symbol` at `ts` from the test data. */
async function barAt(cfg: Config, symbol: string, ts: number): Promise<Bar> {
  const [file] = findBarFiles(testDataDir(), { symbols: [symbol], timeframe: '1h' });
  if (file === undefined) throw new Error(`no 1h bars of ${symbol}`);
  for await (const b of readBars(file.path, { venue: cfg.venue, symbol, tf: '1h', from: ts, to: ts + H })) return b;
  throw new Error(`no 1h bar of ${symbol} at ${ts}`);
}

const publishBar = async (bus: Bus, cfg: Config, b: Bar): Promise<number> => (await bus.publish(subjectsFor(cfg.prefix).bar(b.venue, b.symbol, b.tf), encode(b), { msgId: b.id })).seq;

/** The event times of the predictions stored of `symbol`, in stream order. */
async function predicted(bus: Bus, cfg: Config, symbol: string): Promise<number[]> {
  const stored = await readAllStored(bus, streamName(cfg, 'SIGNALS'), subjectsFor(cfg.prefix).prediction(cfg.strategy.name, cfg.venue, symbol));
  return stored.map((m) => PredictionSchema.parse(JSON.parse(decodeText(m.data))).ts);
}

const gruConfig = (symbols: readonly string[]): Config => isolatedConfig(symbols, (c) => ({ ...c, strategy: { ...c.strategy, model: 'dir', timeframe: '1h', topK: 0 } }));

describe("the engine's stop drains what its asset actors were handed (memory bus, GRU)", () => {
  it('decides and acknowledges a batch handed to the actor after the stop began; a bar not handed yet is decided by the next start, once', async () => {
    const SYM = 'BTC/USDT';
    const cfg = gruConfig([SYM]);
    const raw = await busFor(cfg);
    const durable = durableFor({ venue: cfg.venue, symbol: SYM });
    const gate = gated(raw, durable);
    const stores = { ...restartStores(raw, await gruRegistry(raw, cfg), createMemoryRiskStore()), bus: gate.bus };
    const md = streamName(cfg, 'MD');

    const engine = await startLive(cfg, stores);
    await feedLiveBars(engine, gate.bus, cfg, [SYM], FROM, T1);
    const held = gate.hold();
    const inHand = await publishBar(gate.bus, cfg, await barAt(cfg, SYM, T1));
    await held;
    // The stop begins (the sequencer closes, the actor is told to stop) with that batch in the consumption's hands.
    const stopping = engine.stop();
    await new Promise((r) => setTimeout(r, 20));
    // Stored, and never handed: the consumption is stopping.
    const notHanded = await publishBar(gate.bus, cfg, await barAt(cfg, SYM, T1 + H));
    gate.pass();
    await stopping;
    expect(await predicted(raw, cfg, SYM)).toContain(T1);
    expect(await predicted(raw, cfg, SYM)).not.toContain(T1 + H);
    expect((await raw.consumerInfo(md, durable))?.ackFloor).toBe(inHand);
    expect(notHanded).toBe(inHand + 1);

    const restarted = await startLive(cfg, { ...stores, bus: raw });
    // The one message left unacknowledged comes again, and the stop drains it.
    await expect.poll(() => restarted.counters.messagesIn, { timeout: 10_000 }).toBe(1);
    await restarted.stop();
    const ts = await predicted(raw, cfg, SYM);
    expect(ts.filter((t) => t === T1)).toHaveLength(1);
    expect(ts.filter((t) => t === T1 + H)).toHaveLength(1);
    expect((await raw.consumerInfo(md, durable))?.ackFloor).toBe(notHanded);
    await raw.close();
  }, 60_000);

  it("decides at the stop an asset's newest bar the sequencer holds for another asset behind it", async () => {
    const [A, B] = ['BTC/USDT', 'ETH/USDT'] as const;
    const cfg = gruConfig([A, B]);
    const bus = await busFor(cfg);
    const stores = restartStores(bus, await gruRegistry(bus, cfg), createMemoryRiskStore());
    const engine = await startLive(cfg, stores);
    // Both to T1, then A one bar further: B has not reached T1, so A's bar at T1 waits for it in the sequencer.
    await feedLiveBars(engine, bus, cfg, [A, B], FROM, T1 + H, (b) => b.symbol === A || b.ts < T1);
    expect(await predicted(bus, cfg, A)).not.toContain(T1);
    await engine.stop();
    expect(await predicted(bus, cfg, A)).toContain(T1);
    const md = streamName(cfg, 'MD');
    expect((await bus.consumerInfo(md, durableFor({ venue: cfg.venue, symbol: A })))?.pending).toBe(0);
    expect((await bus.consumerInfo(md, durableFor({ venue: cfg.venue, symbol: A })))?.ackPending).toBe(0);
    await bus.close();
  }, 60_000);
});
