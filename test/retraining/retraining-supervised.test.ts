import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import { superviseRetraining } from '../../cli/supervised-retraining.js';
import { loadConfig } from '../../config/load.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { publishLabels, RETRAINING_TEST_CONFIG, retrainingWorld, samplesOf } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtsv', streamNamePrefix: 'RTSV_' };
const subjects = subjectsFor(cfgBase.prefix);
// Scoring only (no cycle starts): the counts and rolling figures after 40 labels are what is compared.
const config = RetrainingConfigSchema.parse({ ...RETRAINING_TEST_CONFIG, triggers: { ...RETRAINING_TEST_CONFIG.triggers, everyLabels: 10_000 } });

const startOn = (w: RetrainingWorld, samples: TrainingSampleStore) => (): Promise<RetrainingActorHandle> =>
  startRetrainingActor({ bus: w.bus, subjects, samples, registry: w.registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config, streams: { OUTCOMES: streamName(cfgBase, 'OUTCOMES') }, trainingThread: 'main' });

describe('a supervised retraining actor', () => {
  it('after a batch fails to commit, a new actor resumes from the last commit: every label counted once, as in an uninterrupted run', async () => {
    const labels = samplesOf(200, 40, 1, 2);

    const straight = await retrainingWorld(cfgBase, subjects);
    const a = await superviseRetraining(startOn(straight, straight.store), { log: silentLogger, restartMs: 10 });
    await publishLabels(straight, subjects, labels);
    await expect.poll(() => a.status().counters.labels, { timeout: 20_000 }).toBe(40);
    await a.idle();
    const reference = a.status();
    await a.stop();

    const w = await retrainingWorld(cfgBase, subjects);
    let commits = 0;
    // The second commit (the second batch's) fails once: PostgreSQL went away mid-batch.
    const flaky: TrainingSampleStore = { ...w.store, commit: (c) => (++commits === 2 ? Promise.reject(new Error('connection terminated')) : w.store.commit(c)) };
    const restarts: number[] = [];
    const b = await superviseRetraining(startOn(w, flaky), { log: silentLogger, restartMs: 10, onRestart: (n) => restarts.push(n) });
    await publishLabels(w, subjects, labels);
    await expect.poll(() => restarts.length, { timeout: 20_000 }).toBe(1);
    await expect.poll(() => b.status().counters.labels, { timeout: 20_000 }).toBe(40);
    await b.idle();
    expect(b.status().counters).toEqual(reference.counters);
    expect(b.status().triggers).toEqual(reference.triggers);
    await b.stop();
    await b.done;
    for (const x of [straight, w]) await x.bus.close();
  }, 60_000);
});
