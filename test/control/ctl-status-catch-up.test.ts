import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { CATCH_UP_CHECK_MS, startEngine } from '../../cli/engine.js';
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
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { Bus } from '../../streams/bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';
import { testTrainingCache } from '../support/training-cache.js';
import { isolatedConfig, NATS_URL } from '../decision/engine-run.js';
import { ctlRunner } from '../support/ctl.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('ctl status of an engine deciding a backlog (real NATS)', () => {
  let cfg: Config;
  let bus: Bus | undefined;
  let engine: Engine | undefined;
  const ctl = ctlRunner(NATS_URL, () => cfg.prefix);
  afterAll(async () => {
    await engine?.stop();
    await bus?.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus?.close();
  });

  it('says catchUp: catching up, how far behind and up to when; the ctl line says so', async () => {
    cfg = isolatedConfig(['BTC/USDT']);
    const b = await createNatsBus({ url: NATS_URL, name: 'ctl-catch-up-test', connectTimeoutMs: 3000 });
    bus = b;
    await b.ensureStreams(streamSpecs(cfg));
    const subjects = subjectsFor(cfg.prefix);
    const registry = createMemoryModelRegistry({ bus: b, subjects, clock: createLiveClock() });
    await ensureDemoModel(registry, { name: 'direction-mlp', dataDir: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 0, 1), cache: await testTrainingCache() });
    const e = await startEngine(
      cfg,
      { bus: b, features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore: createMemoryRiskStore(), audit: createMemoryAuditStore() },
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
    // Nothing decided yet: not catching up.
    expect((await status())['catchUp']).toEqual({ catchingUp: false, behindMs: null, asOf: null });

    // An outage's backlog: a day of 2024's bars, decided on today's clock.
    const [file] = findBarFiles(testDataDir(), { symbols: ['BTC/USDT'], timeframe: '1h' });
    if (file === undefined) throw new Error('no BTC/USDT 1h bars in the test data');
    const bars: Bar[] = [];
    for await (const bar of readBars(file.path, { venue: cfg.venue, symbol: 'BTC/USDT', tf: '1h', from: Date.UTC(2024, 0, 2), to: Date.UTC(2024, 0, 3) })) bars.push(bar);
    const result = await replay({ bus: b, subjects, source: bars });
    expect(result.published).toBe(bars.length);
    // The risk book's newest mark is the last bar's close, once the decision path has it.
    const asOf = Math.max(...bars.map((bar) => bar.ts)) + 3_600_000;
    const deadline = performance.now() + 60_000;
    while (e.decisions?.risk.status().asOf !== asOf) {
      if (performance.now() > deadline) throw new Error(`the risk book is marked up to ${e.decisions?.risk.status().asOf}, not ${asOf}`);
      await new Promise((r) => setTimeout(r, 20));
    }

    // The engine reads how far it got every CATCH_UP_CHECK_MS.
    let catchUp: unknown;
    const seen = performance.now() + CATCH_UP_CHECK_MS * 3;
    do {
      await new Promise((r) => setTimeout(r, 200));
      catchUp = (await status())['catchUp'];
    } while ((catchUp as { asOf?: unknown }).asOf !== asOf && performance.now() < seen);
    expect(catchUp).toMatchObject({ catchingUp: true, asOf });
    expect((catchUp as { behindMs: number }).behindMs).toBeGreaterThan(365 * 86_400_000);

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
    expect(pnl.at(-1)?.catchUp).toEqual(catchUp);

    const run = await ctl('status');
    expect(run.status, run.stderr).toBe(0);
    expect(run.out).toMatchObject({ catchUp: { catchingUp: true, asOf } });
    expect(run.stderr).toContain(`sextant ctl: note: the engine is catching up on a backlog: deciding data from `);
    expect(run.stderr).toContain(`(up to ${new Date(asOf).toISOString()}); orders it publishes now may be expired for live consumers`);
  }, 120_000);
});
