import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf, startWorldActor } from './fixtures.js';
import { inShadowRun, operatorsModel } from './shadow-run.js';

const cfg = { ...loadConfig(), prefix: 'rtshmoved', streamNamePrefix: 'RTSHMOVED_' };
const subjects = subjectsFor(cfg.prefix);

describe('retraining actor: production moved during a shadow run', () => {
  it('does not promote over a deploy made meanwhile: the shadow run starts again against the model now serving', async () => {
    const w = await retrainingWorld(cfg, subjects);
    const operators = await operatorsModel(w);
    // `sextant ctl model deploy dir@2` lands mid-batch, after the shadow's verdict and before the
    // promotion's transaction: the actor has not loaded v2 yet.
    let deployed = false;
    const registry: ModelRegistry = {
      ...w.registry,
      promote: async (name, version, o) => {
        if (!deployed && o.actor === 'sextant-retraining' && (o.alias ?? 'production') === 'production') {
          deployed = true;
          await w.registry.promote(name, operators.version, { actor: 'operator', reason: 'deploy' });
        }
        return w.registry.promote(name, version, o);
      },
    };
    const actor = await startWorldActor({ ...w, registry }, cfg, subjects, RETRAINING_TEST_CONFIG);
    try {
      // The regime flips: the challenger v3 wins its shadow against v1 at the 163rd label.
      await publishLabels(w, subjects, samplesOf(200, 170, 1, 2));
      await until('170 labels', () => actor.status().counters.labels === 170, 60_000);
      await actor.idle();
      expect(deployed).toBe(true);
      // Before, v3 replaced the operator's v2 on a comparison with v1.
      expect((await w.registry.get('dir@production')).version).toBe(2);
      expect(actor.status()).toMatchObject({ phase: 'shadow', champion: { version: 2 }, challenger: { version: 3 }, shadow: { champion: { version: 2 }, challenger: { version: 3 } }, counters: { promotions: 0 } });
      expect(actor.status().shadow?.n).toBeLessThan(10);
      // It wins against v2 on labels of its own, and replaces it then.
      await publishLabels(w, subjects, samplesOf(370, 80, 1, 4));
      await until('250 labels', () => actor.status().counters.labels === 250, 60_000);
      await actor.idle();
      expect((await w.registry.get('dir@production')).version).toBe(3);
      expect(actor.status()).toMatchObject({ counters: { promotions: 1 }, watch: { version: 3, previousVersion: 2 } });
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  }, 120_000);

  it('ends the cycle when the challenger itself was deployed during its shadow run', async () => {
    const w = await retrainingWorld(cfg, subjects);
    const actor = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    const samples = samplesOf(200, 200, 1, 2);
    try {
      await publishLabels(w, subjects, samples.slice(0, 110));
      await until('110 labels', () => actor.status().counters.labels === 110, 60_000);
      await actor.idle();
      expect(actor.status()).toMatchObject({ phase: 'shadow', challenger: { version: 2 } });
      await w.registry.promote('dir', 2, { actor: 'operator', reason: 'deploy the challenger' });
      // Before, the shadow went on comparing v2 with itself and rejected it at its 60th label: the
      // registry refuses to reject the production model, and every batch from there failed.
      await publishLabels(w, subjects, samples.slice(110));
      await until('200 labels', () => actor.status().counters.labels === 200, 60_000);
      await actor.idle();
      expect((await w.registry.get('dir@production')).version).toBe(2);
      expect(actor.status()).toMatchObject({ champion: { version: 2 }, shadow: null, counters: { rejections: 0 }, lastOutcome: 'promoted dir@2: deployed to production by someone else during its shadow run' });
      expect(actor.status().phase).not.toBe('shadow');
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  }, 120_000);
});

describe('retraining actor: production moved while a shadow run is paused', () => {
  it('starts the shadow run again against the model now serving once it is resumed', async () => {
    const w = await retrainingWorld(cfg, subjects);
    const actor = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    const samples = samplesOf(200, 140, 1, 2);
    try {
      await publishLabels(w, subjects, samples.slice(0, 110));
      await until('110 labels', () => actor.status().counters.labels === 110, 60_000);
      await actor.idle();
      expect(actor.status()).toMatchObject({ phase: 'shadow', challenger: { version: 2 }, shadow: { champion: { version: 1 } } });
      const operators = await operatorsModel(w);
      actor.pause('inspection', 'alice');
      await w.registry.promote('dir', operators.version, { actor: 'operator', reason: 'deploy' });
      await publishLabels(w, subjects, samples.slice(110, 120));
      await until('120 labels', () => actor.status().counters.labels === 120, 60_000);
      await actor.idle();
      expect(actor.status()).toMatchObject({ phase: 'paused', champion: { version: 3 } });
      actor.resume('', 'alice');
      await publishLabels(w, subjects, samples.slice(120, 125));
      await until('125 labels', () => actor.status().counters.labels === 125, 60_000);
      await actor.idle();
      // Before, the run went on against v1's scores mixed with v3's.
      expect(actor.status()).toMatchObject({ phase: 'shadow', shadow: { champion: { version: 3 }, challenger: { version: 2 } } });
      expect(actor.status().shadow?.n).toBeLessThanOrEqual(5);
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  }, 60_000);
});

describe('retraining actor: the challenger deployed while its shadow run is paused', () => {
  it('ends the cycle at the resume, not at the next label', async () => {
    const w = await retrainingWorld(cfg, subjects);
    await inShadowRun(w, cfg, subjects, async (actor) => {
      expect(actor.status()).toMatchObject({ phase: 'shadow', challenger: { version: 2 } });
      actor.pause('inspection', 'alice');
      await w.registry.promote('dir', 2, { actor: 'operator', reason: 'deploy the challenger' });
      actor.resume('', 'alice');
      await actor.idle();
      // No label since: before, it stayed in shadow (v2 against itself) and refused a trigger until one came.
      expect(actor.status()).toMatchObject({ phase: 'idle', champion: { version: 2 }, shadow: null, lastOutcome: 'promoted dir@2: deployed to production by someone else during its shadow run' });
      expect(actor.trigger('again', 'alice').accepted).toBe(true);
      await actor.idle();
    });
  }, 60_000);
});

// While paused, the registry's announcement loads the new champion: the status showed it beside a
// shadow run against the old one until the resume.
describe('retraining actor: the status while a paused shadow run sees production move', () => {
  it('starts the held shadow run again against another model deployed, before the resume', async () => {
    const w = await retrainingWorld(cfg, subjects);
    await inShadowRun(w, cfg, subjects, async (actor) => {
      expect(actor.status().shadow?.n).toBeGreaterThan(0);
      const operators = await operatorsModel(w);
      actor.pause('inspection', 'alice');
      await w.registry.promote('dir', operators.version, { actor: 'operator', reason: 'deploy' });
      await until('v3 loaded', () => actor.status().champion?.version === 3, 10_000);
      await actor.idle();
      expect(actor.status()).toMatchObject({ phase: 'paused', champion: { version: 3 }, challenger: { version: 2 }, shadow: { n: 0, champion: { version: 3 }, challenger: { version: 2 } } });
      actor.resume('', 'alice');
      await actor.idle();
      expect(actor.status()).toMatchObject({ phase: 'shadow', champion: { version: 3 }, shadow: { n: 0, champion: { version: 3 }, challenger: { version: 2 } } });
    });
  }, 60_000);

  it('ends the cycle, still paused, when the challenger itself is deployed', async () => {
    const w = await retrainingWorld(cfg, subjects);
    await inShadowRun(w, cfg, subjects, async (actor) => {
      expect(actor.status()).toMatchObject({ phase: 'shadow', challenger: { version: 2 }, cycles: 0 });
      actor.pause('inspection', 'alice');
      await w.registry.promote('dir', 2, { actor: 'operator', reason: 'deploy the challenger' });
      await until('v2 loaded', () => actor.status().champion?.version === 2, 10_000);
      await actor.idle();
      // Before, paused showed champion v2 beside a shadow run of v2 against v1 until the resume.
      expect(actor.status()).toMatchObject({ phase: 'paused', pauseReason: 'inspection', champion: { version: 2 }, challenger: null, shadow: null, cycles: 1, lastOutcome: 'promoted dir@2: deployed to production by someone else during its shadow run' });
      actor.resume('', 'alice');
      await actor.idle();
      expect(actor.status()).toMatchObject({ phase: 'idle', champion: { version: 2 }, challenger: null, shadow: null, cycles: 1 });
      expect(actor.trigger('again', 'alice').accepted).toBe(true);
      await actor.idle();
    });
  }, 60_000);
});

describe('retraining actor: a challenger deployed mid-batch, just before its shadow rejects it', () => {
  it('ends the cycle without failing the batch', async () => {
    const w = await retrainingWorld(cfg, subjects);
    let deployed = false;
    // The shadow's verdict is a rejection (a margin no challenger passes here), and `ctl model
    // deploy dir@2` lands after it and before the rejection's transaction.
    const registry: ModelRegistry = {
      ...w.registry,
      reject: async (name, version, o) => {
        if (!deployed && o.actor === 'sextant-retraining') {
          deployed = true;
          await w.registry.promote(name, version, { actor: 'operator', reason: 'deploy the challenger' });
        }
        return w.registry.reject(name, version, o);
      },
    };
    const config = { ...RETRAINING_TEST_CONFIG, shadow: { ...RETRAINING_TEST_CONFIG.shadow, margin: 0.5 } };
    const actor = await startWorldActor({ ...w, registry }, cfg, subjects, config);
    try {
      await publishLabels(w, subjects, samplesOf(200, 200, -1, 7));
      await until('200 labels', () => actor.status().counters.labels === 200, 60_000);
      await actor.idle();
      expect(deployed).toBe(true);
      expect((await w.registry.get('dir@production')).version).toBe(2);
      expect(actor.status()).toMatchObject({ champion: { version: 2 }, shadow: null, counters: { rejections: 0 }, lastOutcome: 'promoted dir@2: deployed to production by someone else during its shadow run' });
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  }, 60_000);
});
