import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { CATCH_UP_CHECK_MS, durableFor, startEngine } from '../../cli/engine.js';
import { startEngineStatusFeed } from '../../cli/engine-status-feed.js';
import type { PnlSummary } from '../../cli/engine-status-feed.js';
import type { Engine } from '../../cli/engine.js';
import { ensureDemoModel } from '../../cli/commands/demo-model.js';
import type { Config } from '../../config/schema.js';
import { ControlReplySchema } from '../../gateways/control/control-messages.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import type { Bar } from '../../streams/messages/bar.js';
import { replay } from '../../gateways/replay.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { Bus } from '../../streams/bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';
import { testTrainingCache } from '../support/training-cache.js';
import { isolatedConfig, NATS_URL } from '../decision/engine-run.js';
import { ctlRunner } from '../support/ctl.js';
import { ctlInProcess } from '../support/ctl-in-process.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A memory risk store whose book writes wait while `held`: the decision path acknowledges market
 * data only once the risk state covering it is stored, so the backlog stays unacknowledged
 * (pending on the asset's consumer) until `release`.
 */
function holdingRiskStore(): { store: RiskStore; hold(): void; release(): void } {
  const inner = createMemoryRiskStore();
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  return {
    store: {
      ...inner,
      saveBook: async (account, book, at) => {
        while (gate !== undefined) await gate.promise;
        return inner.saveBook(account, book, at);
      },
    },
    hold: () => {
      let open = (): void => {};
      const promise = new Promise<void>((r) => (open = r));
      gate = { promise, open };
    },
    release: () => {
      const g = gate;
      gate = undefined;
      g?.open();
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ctl status of an engine deciding a backlog (real NATS)', () => {
  let cfg: Config;
  let bus: Bus | undefined;
  let engine: Engine | undefined;
  let release: (() => void) | undefined;
  // The catching-up note in a real `sextant ctl status` process (stderr, exit 0); the quiet
  // status after it by the command's own code in this process (one to two seconds less).
  const ctlProcess = ctlRunner(NATS_URL, () => cfg.prefix);
  const ctl = ctlInProcess(NATS_URL, () => cfg.prefix);
  afterAll(async () => {
    release?.();
    await engine?.stop();
    await bus?.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus?.close();
  });

  it('says catchUp while the backlog is pending, with the lag when it was decided; caught up within a check once it is drained on a quiet market', async () => {
    cfg = isolatedConfig(['BTC/USDT']);
    const b = await createNatsBus({ url: NATS_URL, name: 'ctl-catch-up-test', connectTimeoutMs: 3000 });
    bus = b;
    await b.ensureStreams(streamSpecs(cfg));
    const subjects = subjectsFor(cfg.prefix);
    const registry = createMemoryModelRegistry({ bus: b, subjects, clock: createLiveClock() });
    await ensureDemoModel(registry, { name: 'direction-mlp', dataDir: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 0, 1), cache: await testTrainingCache() });
    const risk = holdingRiskStore();
    release = risk.release;
    const e = await startEngine(
      cfg,
      { bus: b, features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore: risk.store, audit: createMemoryAuditStore() },
      createLiveClock(),
      silentLogger,
    );
    engine = e;
    const status = async (): Promise<Record<string, unknown>> => {
      const raw = await b.request(subjects.control('status'), enc.encode(JSON.stringify({ v: 1, id: randomUUID(), operator: 'carol', args: {} })), 5_000);
      const reply = ControlReplySchema.parse(JSON.parse(dec.decode(raw)));
      if (!reply.ok) throw new Error(reply.error.message);
      return reply.result as Record<string, unknown>;
    };
    const catchUpNow = async (): Promise<{ catchingUp: boolean; behindMs: number | null; asOf: number | null; replay: boolean }> =>
      (await status())['catchUp'] as { catchingUp: boolean; behindMs: number | null; asOf: number | null; replay: boolean };
    const pending = async (): Promise<number> => {
      const info = await b.consumerInfo(streamSpecs(cfg).find((s) => s.subjects.includes(subjects.allMarketData()))?.name ?? '', durableFor({ venue: cfg.venue, symbol: 'BTC/USDT' }));
      if (info === undefined) throw new Error('no market-data consumer for BTC/USDT');
      return info.pending + info.ackPending;
    };
    // Nothing decided yet: not catching up.
    expect(await catchUpNow()).toEqual({ catchingUp: false, behindMs: null, asOf: null, replay: false });

    // An outage's backlog: a day of 2024's bars, decided on today's clock, its acknowledgements
    // held back (the risk state covering it is not stored yet): still pending on the consumer.
    const [file] = findBarFiles(testDataDir(), { symbols: ['BTC/USDT'], timeframe: '1h' });
    if (file === undefined) throw new Error('no BTC/USDT 1h bars in the test data');
    const bars: Bar[] = [];
    for await (const bar of readBars(file.path, { venue: cfg.venue, symbol: 'BTC/USDT', tf: '1h', from: Date.UTC(2024, 0, 2), to: Date.UTC(2024, 0, 3) })) bars.push(bar);
    risk.hold();
    const before = Date.now();
    const result = await replay({ bus: b, subjects, source: bars });
    expect(result.published).toBe(bars.length);
    // The risk book's newest mark is the last bar's close, once the decision path has it.
    const asOf = Math.max(...bars.map((bar) => bar.ts)) + 3_600_000;
    const deadline = performance.now() + 60_000;
    while (e.decisions?.risk.status().asOf !== asOf) {
      if (performance.now() > deadline) throw new Error(`the risk book is marked up to ${e.decisions?.risk.status().asOf}, not ${asOf}`);
      await sleep(20);
    }
    const seen = Date.now();

    // Said at once, the lag as of when the last bar was decided (not up to a check interval later).
    const catchingUp = await catchUpNow();
    expect(catchingUp).toMatchObject({ catchingUp: true, asOf, replay: false });
    expect(catchingUp.behindMs).toBeGreaterThanOrEqual(before - asOf);
    expect(catchingUp.behindMs).toBeLessThanOrEqual(seen - asOf);

    // While the backlog is pending on the consumer, checks come and go and it stays so.
    await sleep(CATCH_UP_CHECK_MS * 1.5);
    expect(await pending()).toBeGreaterThan(0);
    expect(await catchUpNow()).toEqual(catchingUp);

    // The dashboard's status feed carries the same state on pnl (the page's header says it).
    const pnl: PnlSummary[] = [];
    const feed = startEngineStatusFeed({
      engine: e,
      hub: { publishLocal: (topic, _key, data) => void (topic === 'pnl' && pnl.push(data as PnlSummary)) },
      bus: { consumerInfo: async () => undefined },
      consumers: [],
      intervalMs: 3_600_000,
      log: silentLogger,
    });
    feed.stop();
    expect(pnl.at(-1)?.catchUp).toEqual(catchingUp);

    const run = await ctlProcess('status');
    expect(run.status, run.stderr).toBe(0);
    expect(run.out).toMatchObject({ catchUp: { catchingUp: true, asOf } });
    expect(run.stderr).toContain(`sextant ctl: note: the engine is catching up on a backlog: deciding data from `);
    expect(run.stderr).toContain(`(up to ${new Date(asOf).toISOString()}); orders it publishes now may be expired for live consumers`);

    // The backlog is stored and acknowledged; no new bar comes (a quiet market). Caught up within a check.
    risk.release();
    while ((await pending()) > 0) {
      if (performance.now() > deadline + 30_000) throw new Error('the backlog was never acknowledged');
      await sleep(20);
    }
    const drained = performance.now();
    let after = await catchUpNow();
    while (after.catchingUp && performance.now() < drained + CATCH_UP_CHECK_MS + 2_000) {
      await sleep(100);
      after = await catchUpNow();
    }
    expect(after).toEqual({ catchingUp: false, behindMs: catchingUp.behindMs, asOf, replay: false });
    const quiet = await ctl('status');
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.out).toMatchObject({ catchUp: { catchingUp: false, asOf } });
    expect(quiet.stderr).not.toContain('catching up');
  }, 120_000);
});
