import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { ModelEvent } from '../../streams/messages/model-event.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { collect, until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf, startWorldActor } from './fixtures.js';

const cfg = { ...loadConfig(), prefix: 'rtpauserb', streamNamePrefix: 'RTPAUSERB_' };
const subjects = subjectsFor(cfg.prefix);

describe('retraining actor: a pause while a promoted model is watched', () => {
  it('rolls nothing back while paused (the watch goes on scoring); the rollback is judged again from the resume on', async () => {
    const w = await retrainingWorld(cfg, subjects);
    const events = collect<ModelEvent>(w.bus, streamName(cfg, 'OUTCOMES'), subjects.model('dir', '*'));
    const actor = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    try {
      // The regime flips: v2 is promoted (at the 163rd label) and watched against v1.
      const flipped = samplesOf(200, 170, 1, 2);
      await publishLabels(w, subjects, flipped);
      await until('170 labels', () => actor.status().counters.labels === 170, 60_000);
      await actor.idle();
      expect(actor.status()).toMatchObject({ champion: { version: 2 }, watch: { version: 2 }, counters: { promotions: 1, rollbacks: 0 } });
      const watched = actor.status().watch?.n ?? 0;

      actor.pause('inspection', 'alice');
      // …then flips back with wilder inputs: v2 decays against v1, as an unpaused actor would roll it back on.
      const back = samplesOf(400, 80, -1, 3, 3);
      await publishLabels(w, subjects, back);
      await until('250 labels', () => actor.status().counters.labels === 250, 60_000);
      await actor.idle();
      // Before, production went back to v1 while paused.
      expect((await w.registry.get('dir@production')).version).toBe(2);
      expect(actor.status()).toMatchObject({ phase: 'paused', champion: { version: 2 }, watch: { version: 2 }, counters: { rollbacks: 0 } });
      expect(actor.status().watch?.n).toBe(watched + back.length); // still scored while paused
      expect(events.msgs.filter((e) => e.actor === 'sextant-retraining').map((e) => e.event)).not.toContain('rolled_back');

      actor.resume('', 'alice');
      await actor.idle();
      expect((await w.registry.get('dir@production')).version).toBe(2);
      // The watch is judged as each block of `shadow.blockLabels` (20) labels closes; blocks closed
      // while paused, so the verdict they owed is taken at the first label after the resume (it
      // waited for the next block's close, 13 labels on here, with the decayed model in production).
      const after = samplesOf(480, 20, -1, 4, 3);
      await publishLabels(w, subjects, after);
      await until('270 labels', () => actor.status().counters.labels === 270, 60_000);
      await actor.idle();
      expect((await w.registry.get('dir@production')).version).toBe(1);
      expect(actor.status()).toMatchObject({ phase: 'idle', champion: { version: 1 }, watch: null, counters: { rollbacks: 1 } });
      // The status says the promotion was undone: its lastOutcome still names the cycle's promotion of v2.
      expect(actor.status().lastOutcome).toMatch(/^promoted dir@2/);
      const rolledBack = { from: { name: 'dir', version: 2 }, to: { name: 'dir', version: 1 }, reason: expect.stringMatching(/^dir@2 decayed/) as unknown };
      expect(actor.status().lastRollback).toMatchObject(rolledBack);
      // At the event time of the first label after the resume.
      expect(actor.status().lastRollback?.ts).toBe(after[0]?.labeledTs);
      // …and so does an actor restarted from the snapshot.
      await actor.stop();
      const again = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
      await again.stop();
      expect(again.status().lastRollback).toMatchObject(rolledBack);
    } finally {
      await events.stop();
      await actor.stop();
      await w.bus.close();
    }
  }, 120_000);
});
