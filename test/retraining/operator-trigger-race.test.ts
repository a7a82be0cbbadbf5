import { describe, expect, it } from 'vitest';
import { retrainingActorKey, startRetrainingActor } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtor', streamNamePrefix: 'RTOR_' };
const subjects = subjectsFor(cfgBase.prefix);
const OUTCOMES = streamName(cfgBase, 'OUTCOMES');

type Stored = Readonly<{ phase: string; cycle: unknown }>;

/**
 * An operator's trigger moved the machine to `collecting` at once but set the cycle only when the
 * actor's chain reached it: a batch committing in between stored `collecting` with no cycle, and
 * an actor restarted from that stayed collecting for ever (the sample check needs the cycle).
 */
describe('retraining actor: an operator trigger while a batch is being handled', () => {
  it('commits the cycle with the phase: no snapshot holds collecting without its cycle, and one stored so before goes back to idle', async () => {
    const w = await retrainingWorld(cfgBase, subjects);
    let gate: Promise<void> | undefined;
    let waiting = 0;
    const commits: Stored[] = [];
    const store: TrainingSampleStore = {
      ...w.store,
      samples: async (q) => {
        if (gate !== undefined) {
          waiting++;
          await gate;
        }
        return w.store.samples(q);
      },
      commit: (c) => {
        if (c.snapshot !== undefined) commits.push(JSON.parse(JSON.stringify(c.snapshot.state)) as Stored);
        return w.store.commit(c);
      },
    };
    const start = () => startRetrainingActor({ bus: w.bus, subjects, samples: store, registry: w.registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config: RETRAINING_TEST_CONFIG, streams: { OUTCOMES }, trainingThread: 'main' });
    const actor = await start();
    try {
      await publishLabels(w, subjects, samplesOf(200, 20, 1, 2));
      await until('labels applied', () => actor.status().counters.labels === 20, 60_000);
      await actor.idle();
      let open = (): void => {};
      gate = new Promise<void>((r) => (open = r));
      await publishLabels(w, subjects, samplesOf(220, 1, 1, 3)); // a batch that waits for its sample
      await until('the batch waits for its sample', () => waiting > 0, 20_000);
      const before = commits.length;
      expect(actor.trigger('test', 'op').accepted).toBe(true);
      gate = undefined;
      open();
      await until('the batch committed', () => commits.length > before, 20_000);
      await actor.idle();
      const collecting = commits.filter((c) => c.phase === 'collecting');
      expect(collecting.length).toBeGreaterThan(0);
      for (const c of collecting) expect(c.cycle).not.toBeNull();
    } finally {
      await actor.stop();
    }

    // A snapshot stored by the race before the fix: collecting, no cycle. It cannot fit; it goes back to idle.
    const key = retrainingActorKey('s1');
    const last = (await w.store.loadSnapshot(key)) as Record<string, unknown>;
    await w.store.commit({ samples: [], snapshot: { actor: key, state: { ...last, phase: 'collecting', cycle: null }, ts: 0 } });
    const next = await start();
    try {
      expect(next.status().phase).toBe('idle');
      expect(next.trigger('again', 'op').accepted).toBe(true);
    } finally {
      await next.stop();
      await w.bus.close();
    }
  }, 120_000);
});
