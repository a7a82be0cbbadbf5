import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../cli/engine.js';
import type { Engine } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import type { FeatureStore } from '../../state/feature-store.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { Bus } from '../../streams/bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { isolatedConfig, NATS_URL } from '../decision/engine-run.js';
import { ctlRunner } from '../support/ctl.js';
import { ctlInProcess } from '../support/ctl-in-process.js';

/**
 * An asset actor the supervisor gave up on used to stay down until the engine was restarted:
 * `sextant ctl resume` now starts it again (all of them, or those of one symbol), and says which.
 */
describe('sextant ctl resume starts the asset actors the supervisor gave up on (real NATS)', () => {
  let cfg: Config;
  let bus: Bus;
  let engine: Engine;
  /** The snapshots cannot be read (a store fault a retry does not cure) while this is set. */
  let unreadable = true;

  // `sextant ctl` run by the command's own code in this process (one to two seconds less a run
  // than a process); the refusal at the end, an exit code with stderr, in a real process.
  const ctl = ctlInProcess(NATS_URL, () => cfg.prefix);
  const ctlProcess = ctlRunner(NATS_URL, () => cfg.prefix);
  const actorStates = async (): Promise<Record<string, string>> => {
    const r = await ctl('status');
    expect(r.status, r.stderr).toBe(0);
    return Object.fromEntries((r.out as { actors: { key: string; state: string }[] }).actors.map((a) => [a.key, a.state]));
  };

  beforeAll(async () => {
    cfg = isolatedConfig(['BTC/USDT', 'ETH/USDT'], (c) => ({ ...c, supervisor: { ...c.supervisor, maxRestarts: 0 } }));
    bus = await createNatsBus({ url: NATS_URL, name: 'ctl-resume-test', connectTimeoutMs: 3000 });
    await bus.ensureStreams(streamSpecs(cfg));
    const inner = createMemoryFeatureStore({ historyCap: 10 });
    const features: FeatureStore = {
      ...inner,
      loadSnapshot: async (key) => {
        if (unreadable) throw new Error(`snapshot of ${key} unreadable`);
        return inner.loadSnapshot(key);
      },
    };
    engine = await startEngine(cfg, { bus, features, timeseries: createMemoryTimeseriesStore(), riskStore: createMemoryRiskStore(), audit: createMemoryAuditStore() }, createLiveClock(), silentLogger);
  }, 60_000);
  afterAll(async () => {
    await engine?.stop();
    await bus?.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus?.close();
  });

  it('restarts those of the symbol named, then the rest, and reports them', async () => {
    const btc = 'asset:binance:BTC/USDT';
    const eth = 'asset:binance:ETH/USDT';
    expect(await actorStates()).toEqual({ [btc]: 'failed', [eth]: 'failed' });
    unreadable = false; // the operator fixed the store

    const one = await ctl('resume', '--symbol', 'BTC/USDT', '--reason', 'snapshot store repaired');
    expect(one.status, one.stderr).toBe(0);
    expect(one.out).toMatchObject({ restarted: [btc] });
    const stateOf = (key: string): string | undefined => engine.supervisor.status().find((a) => a.key === key)?.state;
    const deadline = performance.now() + 10_000;
    while (stateOf(btc) === 'failed' || stateOf(btc) === 'restarting') {
      if (performance.now() > deadline) throw new Error('BTC/USDT actor did not come back');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(stateOf(eth)).toBe('failed');

    // This engine serves no model (no risk actor): the reply says so instead of `status: null`.
    const rest = await ctl('resume', '--reason', 'snapshot store repaired');
    expect(rest.out).toEqual({ changes: [], restarted: [eth], note: expect.stringMatching(/^the decision path is not running \(no model served\)/) });
    // Nothing left to start again and nothing halted: UNAVAILABLE, as a halt in it is (it answered ok, `status: null`).
    const again = await ctlProcess('resume');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('UNAVAILABLE');
    expect(again.stderr).toContain('the decision path is not running (no model served): nothing halted to resume, and no given-up asset actor to start again');
    expect(engine.supervisor.status().every((a) => a.state !== 'failed')).toBe(true);
  });
});
