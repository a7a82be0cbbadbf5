import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { collect, until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf, startWorldActor } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';
import { inShadowRun, operatorsModel } from './shadow-run.js';

const cfg = { ...loadConfig(), prefix: 'rtdeployev', streamNamePrefix: 'RTDEPLOYEV_' };
const subjects = subjectsFor(cfg.prefix);

// `sextant ctl model deploy` during a shadow run, without a pause: no label comes after it (live,
// labels can be hours apart), so only the registry's announcement can tell the actor.
describe('retraining actor: production moved during a shadow run, with no label after it', () => {
  it('ends the cycle when the challenger itself is deployed, and takes a trigger', async () => {
    const w = await retrainingWorld(cfg, subjects);
    await inShadowRun(w, cfg, subjects, async (actor) => {
      expect(actor.status()).toMatchObject({ phase: 'shadow', challenger: { version: 2 }, shadow: { champion: { version: 1 } } });
      await w.registry.promote('dir', 2, { actor: 'operator', reason: 'deploy the challenger' });
      // Before, it stayed in shadow (v2 against itself, now production) until the next label.
      await until('the cycle ended', () => actor.status().phase === 'idle', 10_000);
      expect(actor.status()).toMatchObject({ champion: { version: 2 }, shadow: null, lastOutcome: 'promoted dir@2: deployed to production by someone else during its shadow run' });
      expect(actor.status().counters.labels).toBe(110);
      expect(actor.trigger('again', 'alice').accepted).toBe(true);
      await actor.idle();
    });
  }, 60_000);

  it('starts the shadow run again against another model deployed, and keeps the run it had when the operator rolls that back before the next label', async () => {
    const w = await retrainingWorld(cfg, subjects);
    await inShadowRun(w, cfg, subjects, async (actor) => {
      const before = actor.status();
      expect(before.shadow?.n).toBeGreaterThan(0);
      const operators = await operatorsModel(w);
      await w.registry.promote('dir', operators.version, { actor: 'operator', reason: 'deploy' });
      await until('the shadow run against v3', () => actor.status().shadow?.champion.version === 3, 10_000);
      expect(actor.status()).toMatchObject({ phase: 'shadow', champion: { version: 3 }, challenger: { version: 2 }, shadow: { n: 0, challenger: { version: 2 } } });
      await w.registry.rollback('dir', { actor: 'operator', reason: 'back' });
      await until('the shadow run against v1', () => actor.status().shadow?.champion.version === 1, 10_000);
      // Before, it started again a second time (n 0): the next label's turn, finding v1 as before, kept it.
      expect(actor.status()).toMatchObject({ phase: 'shadow', champion: { version: 1 }, challenger: { version: 2 } });
      expect(actor.status().shadow).toEqual(before.shadow);
      expect(actor.status().triggers).toEqual(before.triggers);
      // A label scored against v3 makes its run the one to keep: moving back after it starts again.
      await w.registry.promote('dir', operators.version, { actor: 'operator', reason: 'deploy again' });
      await until('the shadow run against v3', () => actor.status().shadow?.champion.version === 3, 10_000);
      await publishLabels(w, subjects, samplesOf(310, 1, 1, 5));
      await until('111 labels', () => actor.status().counters.labels === 111, 10_000);
      await actor.idle();
      await w.registry.rollback('dir', { actor: 'operator', reason: 'back again' });
      await until('the shadow run against v1', () => actor.status().shadow?.champion.version === 1, 10_000);
      expect(actor.status().shadow?.n).toBe(0);
    });
  }, 60_000);

  it('dead-letters a malformed model event and goes on', async () => {
    const w = await retrainingWorld(cfg, subjects);
    const actor = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    const dlq = collect<DlqEntry>(w.bus, streamName(cfg, 'DLQ'), subjects.dlq('retraining'));
    try {
      await w.bus.publish(subjects.model('dir', 'promoted'), new TextEncoder().encode('{"type":"model.event","v":1,"name":"dir"}'));
      await until('the dead letter', () => dlq.msgs.length === 1, 10_000);
      expect(dlq.msgs[0]).toMatchObject({ source: 'retraining', reason: 'SCHEMA', subject: subjects.model('dir', 'promoted') });
      expect(actor.status().counters.refused).toBe(1);
      await publishLabels(w, subjects, samplesOf(200, 110, 1, 2));
      await until('110 labels', () => actor.status().counters.labels === 110, 60_000);
      await actor.idle();
      expect(actor.status()).toMatchObject({ phase: 'shadow', champion: { version: 1 } });
    } finally {
      await dlq.stop();
      await actor.stop();
      await w.bus.close();
    }
  }, 60_000);
});

// `sextant ctl model deploy` or rollback while the engine was down: the announcement went unheard,
// and the actor restored from its snapshot in shadow against the old champion, with no label after it.
describe('retraining actor: production moved while it was down, in a shadow run, with no label after its restart', () => {
  /** An actor brought to a shadow run (v2 against v1) and stopped, as the engine going down. */
  async function shadowThenDown(w: RetrainingWorld): Promise<void> {
    const first = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    try {
      await publishLabels(w, subjects, samplesOf(200, 110, 1, 2));
      await until('110 labels', () => first.status().counters.labels === 110, 60_000);
      await first.idle();
      expect(first.status()).toMatchObject({ phase: 'shadow', challenger: { version: 2 }, shadow: { champion: { version: 1 } } });
    } finally {
      await first.stop();
    }
  }

  it('ends the cycle at start when the challenger was deployed, and takes a trigger', async () => {
    const w = await retrainingWorld(cfg, subjects);
    await shadowThenDown(w);
    await w.registry.promote('dir', 2, { actor: 'operator', reason: 'deploy the challenger' });
    const second = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    try {
      await second.idle();
      // Before, it came back in shadow (v2 against itself, now production) until the next label.
      expect(second.status()).toMatchObject({ phase: 'idle', champion: { version: 2 }, challenger: null, shadow: null, lastOutcome: 'promoted dir@2: deployed to production by someone else during its shadow run' });
      expect(second.status().counters.labels).toBe(110);
      expect(second.trigger('again', 'alice').accepted).toBe(true);
      await second.idle();
    } finally {
      await second.stop();
      await w.bus.close();
    }
  }, 60_000);

  it('keeps the shadow run it had when a deploy it saw before going down was rolled back while it was down, before any label', async () => {
    const w = await retrainingWorld(cfg, subjects);
    const first = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    let before: ReturnType<typeof first.status>;
    try {
      await publishLabels(w, subjects, samplesOf(200, 110, 1, 2));
      await until('110 labels', () => first.status().counters.labels === 110, 60_000);
      await first.idle();
      before = first.status();
      expect(before.shadow?.n).toBeGreaterThan(0);
      const operators = await operatorsModel(w);
      await w.registry.promote('dir', operators.version, { actor: 'operator', reason: 'deploy' });
      await until('the shadow run against v3', () => first.status().shadow?.champion.version === 3, 10_000);
      await first.idle();
    } finally {
      await first.stop();
    }
    await w.registry.rollback('dir', { actor: 'operator', reason: 'back' });
    const second = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    try {
      await second.idle();
      // Before, the restart started it again against v1 (n 0), a second time.
      expect(second.status()).toMatchObject({ phase: 'shadow', champion: { version: 1 }, challenger: { version: 2 } });
      expect(second.status().shadow).toEqual(before.shadow);
    } finally {
      await second.stop();
      await w.bus.close();
    }
  }, 60_000);

  it('starts the shadow run again at start against another model deployed meanwhile', async () => {
    const w = await retrainingWorld(cfg, subjects);
    await shadowThenDown(w);
    const operators = await operatorsModel(w);
    await w.registry.promote('dir', operators.version, { actor: 'operator', reason: 'deploy' });
    const second = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    try {
      await second.idle();
      expect(second.status()).toMatchObject({ phase: 'shadow', champion: { version: 3 }, challenger: { version: 2 }, shadow: { n: 0, champion: { version: 3 }, challenger: { version: 2 } } });
    } finally {
      await second.stop();
      await w.bus.close();
    }
  }, 60_000);
});
