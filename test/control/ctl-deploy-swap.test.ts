import { describe, expect, it } from 'vitest';
import { startEngine } from '../../cli/engine.js';
import { ControlReplySchema } from '../../gateways/control/control-messages.js';
import type { ControlReply } from '../../gateways/control/control-messages.js';
import type { ModelRegistry, ModelVersion, NewModelVersion } from '../../models/registry/model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { isolatedConfig, trainedRegistry } from '../decision/engine-run.js';

/** The fields a new version of `v` is registered with (its own model, as another version). */
const again = (v: ModelVersion): NewModelVersion => ({
  name: v.name,
  format: v.format,
  metrics: v.metrics,
  featureSpec: v.featureSpec,
  calibration: v.calibration,
  trainRange: v.trainRange,
  parentVersion: v.version,
  configHash: v.configHash,
  details: v.details,
});

/**
 * `sextant ctl model deploy` of the alias the engine serves answered ok once the alias moved; when
 * the engine then could not load the version (a damaged artifact) it only logged it, and the
 * registry said production was a model the engine was not serving. The reply now waits for the
 * swap; a failed one puts the alias back.
 */
describe('sextant ctl model deploy and rollback of the served alias answer once the engine serves the version', () => {
  it('rolls the alias back and answers REFUSED when the engine cannot load the version, and serves a good one by the time it answers ok', async () => {
    const cfg = isolatedConfig(['BTC/USDT']);
    const subjects = subjectsFor(cfg.prefix);
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const trained = await trainedRegistry(['BTC/USDT'], Date.UTC(2024, 0, 1));
    // The registry's promotions (each a row of its alias history, with the reason it records).
    const promoted: { actor: string; reason: string }[] = [];
    const registry: ModelRegistry = {
      ...trained,
      promote: (name, version, o) => {
        promoted.push({ actor: o.actor, reason: o.reason });
        return trained.promote(name, version, o);
      },
    };
    const engine = await startEngine(
      cfg,
      { bus, features: createMemoryFeatureStore({ historyCap: 2 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore: createMemoryRiskStore(), audit: createMemoryAuditStore() },
      createLiveClock(),
      silentLogger,
    );
    try {
      const v1 = await registry.get('direction-mlp@production');
      expect(engine.decisions?.model()).toEqual({ name: 'direction-mlp', version: v1.version });
      const damaged = await registry.register(again(v1), new TextEncoder().encode('not an onnx graph'));
      const good = await registry.register(again(v1), await registry.artifact(v1));
      const request = async (verb: 'model.deploy' | 'model.rollback', id: string, args: object): Promise<ControlReply> =>
        ControlReplySchema.parse(JSON.parse(new TextDecoder().decode(await bus.request(subjects.control(verb), new TextEncoder().encode(JSON.stringify({ v: 1, id, operator: 'carol', args: { name: 'direction-mlp', ...args } })), 30_000))));
      const deploy = (version: number, reason?: string): Promise<ControlReply> => request('model.deploy', `d${version}`, { version, ...(reason !== undefined ? { reason } : {}) });
      const putBacks = (): string[] => promoted.filter((p) => p.actor === 'carol' && p.reason.includes('cannot serve')).map((p) => p.reason);

      const refused = await deploy(damaged.version, 'hotfix for ETH');
      expect(refused.ok).toBe(false);
      if (refused.ok) throw new Error('unreachable');
      expect(refused.error.code).toBe('REFUSED');
      expect(refused.error.message).toContain(`this engine cannot serve direction-mlp@${damaged.version}: could not load it: `);
      expect(refused.error.message).toContain(`direction-mlp@production put back to version ${v1.version}, which it serves`);
      expect((await registry.get('direction-mlp@production')).version).toBe(v1.version);
      expect(engine.decisions?.model().version).toBe(v1.version);

      const ok = await deploy(good.version);
      expect(ok).toMatchObject({ ok: true, result: { event: 'promoted', version: good.version } });
      expect(engine.decisions?.model().version).toBe(good.version); // at the reply, not some time after

      // A rollback whose target the engine cannot serve (trained on 5m bars, promoted by hand before
      // the good one) is refused and production put back; one it can serve is served at the reply.
      const fiveMinute = await registry.register({ ...again(v1), details: { ...v1.details, dataset: { timeframe: '5m' } } }, await registry.artifact(v1));
      await registry.promote('direction-mlp', fiveMinute.version, { actor: 'test', reason: 'by hand' });
      await registry.promote('direction-mlp', good.version, { actor: 'test', reason: 'by hand' });
      const back = await request('model.rollback', 'r1', { reason: 'slippage on ETH' });
      expect(back).toMatchObject({ ok: false, error: { code: 'REFUSED', message: expect.stringContaining(`this engine cannot serve direction-mlp@${fiveMinute.version}: it was trained on 5m bars`) } });
      // The put-back's row carries the operator's --reason, as the move it undoes does. Before, it
      // said only "sextant ctl model rollback: this engine cannot serve …".
      expect(putBacks()).toEqual([
        `sextant ctl model deploy: hotfix for ETH (put back: this engine cannot serve direction-mlp@${damaged.version})`,
        `sextant ctl model rollback: slippage on ETH (put back: this engine cannot serve direction-mlp@${fiveMinute.version})`,
      ]);
      expect((await registry.get('direction-mlp@production')).version).toBe(good.version);
      const toV1 = await request('model.rollback', 'r2', { to: v1.version });
      expect(toV1).toMatchObject({ ok: true, result: { event: 'rolled_back', version: v1.version } });
      expect(engine.decisions?.model().version).toBe(v1.version);
    } finally {
      await engine.stop();
      await bus.close();
    }
  }, 60_000);
});
