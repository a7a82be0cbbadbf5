import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import type { ModelRuntime } from '../../models/runtime/model-runtime.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { publishLabels, RETRAINING_TEST_CONFIG, retrainingWorld, samplesOf } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtvr', streamNamePrefix: 'RTVR_' };
const subjects = subjectsFor(cfgBase.prefix);
// The shared test config (a cycle at 100 labels), with a short fit and a shadow run that outlasts the test.
const config = RetrainingConfigSchema.parse({ ...RETRAINING_TEST_CONFIG, training: { ...RETRAINING_TEST_CONFIG.training, epochs: 5 }, shadow: { ...RETRAINING_TEST_CONFIG.shadow, predictions: 1000 } });

/** The champion loads as stored; every later artifact (the challenger's) through `broken`. */
function loaderBreakingChallengers(broken: (real: ModelRuntime) => ModelRuntime | Promise<never>): (bytes: Uint8Array) => Promise<ModelRuntime> {
  let loads = 0;
  return async (bytes) => {
    const real = await createOnnxRuntime({ bytes });
    return loads++ === 0 ? real : broken(real);
  };
}

/** What the validating step decides about a challenger whose artifact is loaded through `loadRuntime`. */
async function cycleWith(loadRuntime: (bytes: Uint8Array) => Promise<ModelRuntime>) {
  const world = await retrainingWorld(cfgBase, subjects);
  const { bus, registry } = world;
  const events: string[] = [];
  const sub = bus.subscribe(subjects.model('dir', '*'), (subject) => events.push(subject.split('.').at(-1) ?? ''));
  const actor = await startRetrainingActor({
    bus, subjects, samples: world.store, registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config,
    streams: { OUTCOMES: streamName(cfgBase, 'OUTCOMES') }, trainingThread: 'main', loadRuntime,
  });
  try {
    await publishLabels(world, subjects, samplesOf(200, 100, 1, 2));
    await until('every label applied', () => actor.status().counters.labels === 100, 60_000);
    await actor.idle();
    await bus.flush();
    const v2 = registry.get('dir@2');
    return { status: actor.status(), events: [...events], production: (await registry.get('dir@production')).version, v2: await v2, candidate: await registry.get('dir@candidate').then(() => 'present', (e: unknown) => String(e)), promoteV2: await registry.promote('dir', 2, { actor: 'test', reason: 'try' }).then(() => 'promoted', (e: unknown) => String(e)) };
  } finally {
    sub.unsubscribe();
    await actor.stop();
    await bus.close();
  }
}

describe('retraining actor: the validating step', () => {
  it('puts a challenger whose stored artifact scores as fitted into shadow (control)', async () => {
    const r = await cycleWith(loaderBreakingChallengers((real) => real));
    expect(r.status).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 2 }, counters: { trainings: 1, rejections: 0 } });
    expect(r.events).toEqual(['registered', 'promoted']); // registered and made `candidate`
    expect(r.candidate).toBe('present');
  }, 60_000);

  it('rejects a challenger whose artifact scores differently from the fit (beyond 1e-5), and keeps the champion', async () => {
    const skewed = (real: ModelRuntime): ModelRuntime => ({ ...real, run: async (batch, rows, cols, steps) => (await real.run(batch, rows, cols, steps)).map((o) => o.map((p) => p * 0.999 + 0.001 / 3)) });
    const r = await cycleWith(loaderBreakingChallengers(skewed));
    expect(r.status).toMatchObject({ phase: 'idle', challenger: null, counters: { trainings: 1, rejections: 1 } });
    expect(r.status.lastOutcome).toMatch(/^failed dir@2: ONNX output differs from the fit by [0-9.e-]+ \(tolerance 0\.00001|1e-5\)/);
    expect(r.production).toBe(1);
    expect(r.v2.version).toBe(2); // registered, then refused
    expect(r.events).toEqual(['registered', 'promoted', 'rejected']); // registered, made `candidate`, refused
    expect(r.candidate).toMatch(/candidate/); // the alias went with the rejection
    expect(r.promoteV2).toMatch(/was rejected/);
  }, 60_000);

  it('rejects a challenger whose artifact does not load', async () => {
    const r = await cycleWith(loaderBreakingChallengers(() => Promise.reject(new Error('truncated protobuf'))));
    expect(r.status).toMatchObject({ phase: 'idle', challenger: null, counters: { trainings: 1, rejections: 1 }, lastOutcome: 'failed dir@2: artifact does not load: truncated protobuf' });
    expect(r.production).toBe(1);
    expect(r.promoteV2).toMatch(/was rejected/);
  }, 60_000);
});
