import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import type { ModelEvent } from '../../streams/messages/model-event.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { collect, until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf, startWorldActor } from './fixtures.js';

const cfg = { ...loadConfig(), prefix: 'rtopdeploy', streamNamePrefix: 'RTOPDEPLOY_' };
const subjects = subjectsFor(cfg.prefix);

describe('retraining actor: a rollback after an operator deploy', () => {
  it('leaves production where the operator put it when it no longer holds the promotion being rolled back', async () => {
    const w = await retrainingWorld(cfg, subjects);
    // The operator's model (a copy of the champion's artifact) is v2; the actor's challenger will be v3.
    const { version: _v, aliases: _a, featureSpecHash: _h, artifactSha256: _s, createdAt: _c, ...v1 } = w.champion;
    const operators = await w.registry.register({ ...v1, configHash: 'operator' }, await w.registry.artifact(w.champion), { actor: 'operator' });
    expect(operators.version).toBe(2);
    // `sextant ctl model deploy dir@2` lands mid-batch, after the actor judged its watch and before
    // its rollback's transaction: the actor has not loaded v2 yet.
    let deployed = false;
    const registry: ModelRegistry = {
      ...w.registry,
      rollback: async (name, o) => {
        if (!deployed) {
          deployed = true;
          await w.registry.promote(name, operators.version, { actor: 'operator', reason: 'deploy' });
        }
        return w.registry.rollback(name, o);
      },
    };
    const events = collect<ModelEvent>(w.bus, streamName(cfg, 'OUTCOMES'), subjects.model('dir', '*'));
    const actor = await startWorldActor({ ...w, registry }, cfg, subjects, RETRAINING_TEST_CONFIG);
    try {
      // The regime flips (v3 promoted at the 163rd label), then flips back with wilder inputs: v3
      // decays against v1 and its watch calls for a rollback.
      const labels = [...samplesOf(200, 170, 1, 2), ...samplesOf(400, 80, -1, 3, 3)];
      await publishLabels(w, subjects, labels);
      await until('every label applied', () => actor.status().counters.labels === labels.length, 60_000);
      await actor.idle();
      expect(deployed).toBe(true);
      // Without the check the registry popped its stack from v2 to v3: the actor's own demoted
      // challenger went back into production over the operator's deploy.
      expect((await w.registry.get('dir@production')).version).toBe(2);
      expect(actor.status()).toMatchObject({ champion: { version: 2 }, anchor: { version: 2 }, watch: null, counters: { promotions: 1, rollbacks: 0 } });
      expect(events.msgs.filter((e) => e.actor === 'sextant-retraining').map((e) => e.event)).not.toContain('rolled_back');
    } finally {
      await events.stop();
      await actor.stop();
      await w.bus.close();
    }
  }, 120_000);
});
