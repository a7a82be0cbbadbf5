import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import type { TrainingSample } from '../../state/training-sample-store.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { publishLabels, retrainingWorld, samplesOf, startWorldActor } from './fixtures.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';

const cfgBase = { ...loadConfig(), prefix: 'rtt', streamNamePrefix: 'RTT_' };
const subjects = subjectsFor(cfgBase.prefix);

/** Every trigger off (schedule, decay, PSI, ADWIN) unless a case turns one on; a triggered cycle waits in `collecting` (no fit). */
const OFF = { everyLabels: 0, decayWindow: 10_000, psiWindow: 10_000, adwinDelta: 0 };
const configWith = (triggers: Readonly<Record<string, number>>): ReturnType<typeof RetrainingConfigSchema.parse> =>
  RetrainingConfigSchema.parse({
    enabled: true,
    triggers: { ...OFF, ...triggers },
    training: { minSamples: 100_000, maxSamples: 100_000 },
    consumer: { batchSize: 16, ackWaitMs: 60_000 },
  });

/** The samples with every outcome in class `c` (down, flat, up), their features as they were. */
const withClass = (samples: readonly TrainingSample[], c: -1 | 0 | 1): TrainingSample[] =>
  samples.map((x) => ({ ...x, label: c, forwardReturn: c * 0.01, netReturnBps: c * 100, barrier: c === 1 ? 'take_profit' : c === -1 ? 'stop_loss' : 'vertical' }));

/**
 * The labels of `samples` through a retraining actor whose champion was fitted on the old regime
 * (f1 → down, 200 stored samples); what the actor reports once it has applied all of them.
 */
async function run(triggers: Readonly<Record<string, number>>, samples: readonly TrainingSample[]): Promise<ReturnType<RetrainingActorHandle['status']>> {
  const world = await retrainingWorld(cfgBase, subjects);
  const actor = await startWorldActor(world, cfgBase, subjects, configWith(triggers));
  try {
    await publishLabels(world, subjects, samples);
    await until('every label applied', () => actor.status().counters.labels === samples.length, 60_000);
    await actor.idle();
    return actor.status();
  } finally {
    await actor.stop();
    await world.bus.close();
  }
}

/**
 * The decay, drift and ADWIN triggers inside the actor, each with the others off: on labels where
 * the champion goes wrong (or its inputs move) the cycle starts with that trigger's reason; on
 * labels like those it was trained on, nothing starts. The triggers' arithmetic has unit tests of
 * its own (triggers.test.ts, adwin.test.ts); these cover the actor's wiring — the scores it
 * observes, the PSI reference it builds from the champion's stored training samples, the check
 * after each label.
 */
describe('retraining actor: performance decay, feature drift and ADWIN start a cycle', () => {
  it('decay: the rolling log loss of the production model past maxLogLoss', async () => {
    const decay = { decayWindow: 40, maxLogLoss: 1.1 };
    const wrong = await run(decay, samplesOf(200, 60, 1, 2)); // the new regime: the champion is confidently wrong
    expect(wrong.phase).toBe('collecting');
    expect(wrong.trigger?.kind).toBe('decay');
    expect(wrong.trigger?.detail).toMatch(/^rolling log loss \d\.\d{4} > 1\.1 over 40 labels$/);
    const right = await run(decay, samplesOf(200, 60, -1, 2));
    expect(right).toMatchObject({ phase: 'idle', trigger: null });
    expect(right.triggers.rollingLogLoss).toBeLessThan(1.1);
  }, 120_000);

  it("drift: a feature's PSI against the champion's training samples past psiThreshold", async () => {
    const drift = { psiWindow: 50, psiThreshold: 0.25 };
    // f1 three times as wide as in training, the old regime's labels (the champion still right on its sign).
    const wide = await run(drift, samplesOf(200, 60, -1, 3, 3));
    expect(wide.trigger?.kind).toBe('drift');
    expect(wide.trigger?.detail).toMatch(/^PSI of f1 \d+\.\d{4} > 0\.25$/);
    const same = await run(drift, samplesOf(200, 60, -1, 3));
    expect(same).toMatchObject({ phase: 'idle', trigger: null });
    expect(same.triggers.maxPsi).not.toBeNull();
    expect(same.triggers.maxPsi).toBeLessThan(0.25);
  }, 120_000);

  it('ADWIN: a change in the production model’s error rate', async () => {
    // This champion calls most inputs `down` (83 % of these): outcomes that are all down, then all
    // up, take its miss rate from about a sixth to about nine in ten.
    const adwin = { adwinDelta: 0.002 };
    const shift = await run(adwin, [...withClass(samplesOf(200, 300, -1, 4), -1), ...withClass(samplesOf(500, 300, -1, 5), 1)]);
    expect(shift.trigger?.kind).toBe('adwin');
    expect(shift.trigger?.detail).toMatch(/^ADWIN detected a change in the error rate \(window now \d+ labels\)$/);
    const steady = await run(adwin, withClass(samplesOf(200, 600, -1, 4), -1));
    expect(steady).toMatchObject({ phase: 'idle', trigger: null });
    expect(steady.triggers.adwinWidth).toBe(600); // the whole stream, never cut
  }, 120_000);
});
