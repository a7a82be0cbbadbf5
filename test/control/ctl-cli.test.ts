import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../cli/engine.js';
import type { Engine } from '../../cli/engine.js';
import { ensureDemoModel } from '../../cli/commands/demo-model.js';
import type { Config } from '../../config/schema.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import type { AuditStore } from '../../state/audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { Bus } from '../../streams/bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import type { ModelEvent } from '../../streams/messages/model-event.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';
import { testTrainingCache } from '../support/training-cache.js';
import { isolatedConfig, NATS_URL } from '../decision/engine-run.js';
import { ctlRunner } from '../support/ctl.js';
import { ctlInProcess } from '../support/ctl-in-process.js';
import { readAllStored } from '../support/read-all-stored.js';

describe('sextant ctl against a running engine (real NATS)', () => {
  let cfg: Config;
  let bus: Bus;
  let engine: Engine;
  let registry: ModelRegistry;
  let audit: AuditStore;

  // `sextant ctl` run by the command's own code in this process: one to two seconds less a run
  // than a process each (about twenty of them here, most in sequence). Each test keeps one real
  // `sextant ctl` process for what only a process shows, its exit code with stdout or stderr: a
  // reply printed as JSON (exit 0), an engine's refusal (exit 1, REFUSED on stderr) and a
  // refusal before sending (a blank --reason).
  const ctl = ctlInProcess(NATS_URL, () => cfg.prefix);
  const ctlProcess = ctlRunner(NATS_URL, () => cfg.prefix);

  beforeAll(async () => {
    cfg = isolatedConfig(['BTC/USDT']);
    bus = await createNatsBus({ url: NATS_URL, name: 'ctl-cli-test', connectTimeoutMs: 3000 });
    await bus.ensureStreams(streamSpecs(cfg));
    registry = createMemoryModelRegistry({ bus, subjects: subjectsFor(cfg.prefix), clock: createLiveClock() });
    await ensureDemoModel(registry, { name: 'direction-mlp', dataDir: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 0, 1), cache: await testTrainingCache() });
    audit = createMemoryAuditStore();
    engine = await startEngine(
      cfg,
      { bus, features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore: createMemoryRiskStore(), audit },
      createLiveClock(),
      silentLogger,
    );
  }, 120_000);
  afterAll(async () => {
    await engine?.stop();
    await bus?.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus?.close();
  });

  // Runs that do not depend on each other's effects go together. A refusal ctl makes before
  // sending anything (a missing or bad --reason, two scopes) is checked in process, in
  // ctl-reason.test.ts and ctl-names.test.ts; one is run here for the real exit code and message.
  it('shows status, changes limits (refusing bad ones), halts one symbol and resumes', async () => {
    const risk = () => engine.decisions?.risk.status();
    // The status reads the model and the risk state, which no limit changes; the halts wait for it
    // (a slow status run would otherwise read the reduce-only state of the halt flow).
    const statusRun = ctl('status');
    const limitsFlow = async (): Promise<void> => {
      const [status, set] = await Promise.all([statusRun, ctl('limits', 'set', 'maxOrderNotional=1234', 'allowlist=BTC/USDT,ETH/USDT')]);
      expect(status.status, status.stderr).toBe(0);
      expect(status.out).toMatchObject({ model: { name: 'direction-mlp', version: 1 }, risk: { state: 'ACTIVE', account: cfg.risk.account } });
      expect(set.out).toMatchObject({ maxOrderNotional: 1234, allowlist: ['BTC/USDT', 'ETH/USDT'] });
      expect((await ctl('limits', 'get')).out).toMatchObject({ maxOrderNotional: 1234 });
      const bad = await ctlProcess('limits', 'set', 'maxOrderNotional=-5');
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/REFUSED: .*maxOrderNotional/);
      expect((await ctl('limits', 'get')).out).toMatchObject({ maxOrderNotional: 1234 });
    };
    const haltFlow = async (): Promise<void> => {
      await statusRun;
      // A symbol's halt and a strategy's, each added to the scoped halts and each lifted by its resume.
      const halts = await Promise.all([
        ctl('halt', '--symbol', 'BTC/USDT', '--reason', 'venue incident'),
        ctl('halt', '--strategy', cfg.strategy.name, '--reason', 'model under review'),
      ]);
      expect(halts.map((r) => r.status)).toEqual([0, 0]);
      expect(risk()?.scopedHalts).toHaveLength(2);
      expect(risk()?.scopedHalts).toEqual(expect.arrayContaining([
        { scope: 'symbol', value: 'BTC/USDT', reason: 'venue incident' },
        { scope: 'strategy', value: cfg.strategy.name, reason: 'model under review' },
      ]));
      const resumes = await Promise.all([ctl('resume', '--symbol', 'BTC/USDT'), ctl('resume', '--strategy', cfg.strategy.name)]);
      expect(resumes.map((r) => r.status)).toEqual([0, 0]);
      expect(risk()?.scopedHalts).toEqual([]);

      // Reduce-only for the whole account, and back.
      const reduce = await ctl('reduce', '--reason', 'flatten before the auction');
      expect(reduce.status, reduce.stderr).toBe(0);
      expect(reduce.out).toMatchObject({ status: 'REDUCING', changes: [{ type: 'risk.state', previous: 'ACTIVE', state: 'REDUCING', reason: 'flatten before the auction' }] });
      expect(risk()?.state).toBe('REDUCING');
      expect((await ctl('resume', '--reason', 'auction over')).out).toMatchObject({ status: 'ACTIVE' });
      expect(risk()?.state).toBe('ACTIVE');
      // Flatten: reduce-only while execution closes every position (halting by itself once flat).
      const flatten = await ctl('reduce', '--flatten', '--reason', 'desk closing');
      expect(flatten.status, flatten.stderr).toBe(0);
      expect(flatten.out).toMatchObject({ status: 'REDUCING', changes: [{ type: 'risk.state', previous: 'ACTIVE', state: 'REDUCING', reason: 'desk closing' }] });
      expect(risk()).toMatchObject({ state: 'REDUCING', flattening: true });
      expect((await ctl('resume', '--reason', 'reopened')).out).toMatchObject({ status: 'ACTIVE' });
      expect(risk()).toMatchObject({ state: 'ACTIVE', flattening: false });
    };
    // Both to the end before a failure is reported, so no ctl run of this test overlaps the next test.
    for (const r of await Promise.allSettled([limitsFlow(), haltFlow()])) if (r.status === 'rejected') throw r.reason;
  });

  it('lists, deploys and rolls back models, and the engine swaps what it serves', async () => {
    const v1 = await registry.get('direction-mlp@1');
    const v2 = await registry.register({ ...v1, parentVersion: 1 }, await registry.artifact(v1));
    expect(v2.version).toBe(2);
    const list = await ctlProcess('model', 'list', 'direction-mlp');
    expect(list.status, list.stderr).toBe(0);
    expect(list.out).toMatchObject([{ version: 2, aliases: [] }, { version: 1, aliases: ['production'] }]);

    expect((await ctl('model', 'deploy', 'direction-mlp', '2')).status).toBe(0);
    const served = async (version: number): Promise<void> => {
      const deadline = performance.now() + 10_000;
      while (engine.decisions?.model().version !== version && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(engine.decisions?.model().version).toBe(version);
    };
    await served(2);
    expect((await ctl('model', 'rollback', 'direction-mlp')).status).toBe(0);
    await served(1);
    // Several steps at once: 1 → 2 → 3, then straight back to 1.
    const v3 = await registry.register({ ...v1, parentVersion: 2 }, await registry.artifact(v1));
    expect((await ctl('model', 'deploy', 'direction-mlp', '2')).status).toBe(0);
    expect((await ctl('model', 'deploy', 'direction-mlp', String(v3.version))).status).toBe(0);
    await served(v3.version);
    expect((await ctl('model', 'rollback', 'direction-mlp', '--to', '1')).out).toMatchObject({ event: 'rolled_back', version: 1, previousVersion: v3.version });
    await served(1);
    // Two refusals by the engine, neither moving the alias.
    const [notHeld, missing] = await Promise.all([ctl('model', 'rollback', 'direction-mlp', '--to', String(v3.version)), ctl('model', 'deploy', 'direction-mlp', '9')]);
    expect(notHeld.status).toBe(1);
    expect(notHeld.stderr).toMatch(/did not hold version/);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/NOT_FOUND/);
    const trail = await audit.recent(100);
    expect(trail.filter((e) => e.operator === 'carol').map((e) => e.verb)).toEqual(expect.arrayContaining(['model.deploy', 'model.rollback', 'halt', 'resume', 'reduce', 'limits.set']));
  });

  it('carries a deploy\'s and a rollback\'s --reason to the audit row and the alias history, and refuses a blank or overlong one', async () => {
    const production = (await registry.get('direction-mlp@production')).version;
    const v1 = await registry.get('direction-mlp@1');
    const other = (await registry.register({ ...v1, parentVersion: 1 }, await registry.artifact(v1))).version;
    // Before, every row of the alias history said only "sextant ctl model deploy" or "… rollback".
    const deploy = await ctl('model', 'deploy', 'direction-mlp', String(other), '--reason', 'wins the walk-forward');
    expect(deploy.status, deploy.stderr).toBe(0);
    expect(deploy.out).toMatchObject({ event: 'promoted', version: other, reason: 'sextant ctl model deploy: wins the walk-forward' });
    const rollback = await ctl('model', 'rollback', 'direction-mlp', '--reason', 'slippage on ETH');
    expect(rollback.status, rollback.stderr).toBe(0);
    expect(rollback.out).toMatchObject({ event: 'rolled_back', version: production, reason: 'sextant ctl model rollback: slippage on ETH' });
    // Without one, the history says the command, as before.
    expect((await ctl('model', 'deploy', 'direction-mlp', String(other))).out).toMatchObject({ reason: 'sextant ctl model deploy' });
    expect((await ctl('model', 'rollback', 'direction-mlp')).out).toMatchObject({ reason: 'sextant ctl model rollback' });

    const history = (await readAllStored(bus, streamName(cfg, 'OUTCOMES'), subjectsFor(cfg.prefix).model('direction-mlp', '*')))
      .map((m) => JSON.parse(new TextDecoder().decode(m.data)) as ModelEvent)
      .filter((e) => e.actor === 'carol')
      .slice(-4);
    expect(history.map((e) => [e.event, e.reason])).toEqual([
      ['promoted', 'sextant ctl model deploy: wins the walk-forward'],
      ['rolled_back', 'sextant ctl model rollback: slippage on ETH'],
      ['promoted', 'sextant ctl model deploy'],
      ['rolled_back', 'sextant ctl model rollback'],
    ]);
    // Newest first.
    const trail = (await audit.recent(100)).filter((e) => e.operator === 'carol' && (e.verb === 'model.deploy' || e.verb === 'model.rollback'));
    expect(trail.slice(0, 4).reverse().map((e) => e.args)).toEqual([
      { name: 'direction-mlp', version: other, alias: 'production', reason: 'wins the walk-forward' },
      { name: 'direction-mlp', alias: 'production', reason: 'slippage on ETH' },
      { name: 'direction-mlp', version: other, alias: 'production' },
      { name: 'direction-mlp', alias: 'production' },
    ]);

    // ctl refuses a bad --reason before sending (each of empty, blank and 501 characters, on
    // deploy and rollback, in ctl-reason.test.ts); one real run for its exit code and message.
    const refused = await ctlProcess('model', 'deploy', 'direction-mlp', String(other), '--reason', '   ');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/--reason/);
    expect((await registry.get('direction-mlp@production')).version).toBe(production);
  });
});
