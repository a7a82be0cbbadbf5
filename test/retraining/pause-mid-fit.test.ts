import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import type { RetrainingTracker } from '../../models/mlflow/retraining-tracker.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf } from './fixtures.js';

const cfg = { ...loadConfig(), prefix: 'rtpausefit', streamNamePrefix: 'RTPAUSEFIT_' };
const subjects = subjectsFor(cfg.prefix);

type Ended = Readonly<{ runId: string | undefined; status: string; outcome: string | undefined }>;

/** A tracker that keeps the runs it was asked to end (what MLflow would show for each). */
function recordingTracker(): { tracker: RetrainingTracker; ended: Ended[] } {
  const ended: Ended[] = [];
  let runs = 0;
  return {
    ended,
    tracker: {
      enabled: true,
      startRun: async () => `run${++runs}`,
      logParams: async () => true,
      logMetrics: async () => true,
      logModelVersion: async () => true,
      endRun: async (runId, status, _t, tags) => {
        ended.push({ runId, status, outcome: tags?.['sextant.outcome'] });
        return true;
      },
    },
  };
}

describe('retraining actor: a pause while the challenger is fitted', () => {
  for (const resumeAtOnce of [false, true]) {
    it(`ends the cycle's tracking run once, as abandoned by a pause${resumeAtOnce ? ' (resumed before the fit saw its cancel)' : ''}`, async () => {
      const w = await retrainingWorld(cfg, subjects);
      const { tracker, ended } = recordingTracker();
      // The warm start reads the champion's artifact just before the fit starts: the operator's
      // pause lands once the training process runs (and its cancel can reach it).
      let paused = false;
      const registry: ModelRegistry = {
        ...w.registry,
        artifact: async (v) => {
          if (!paused && actor.status().phase === 'training') {
            paused = true;
            setTimeout(() => {
              actor.pause('inspection', 'alice');
              if (resumeAtOnce) actor.resume('', 'alice');
            }, 0);
          }
          return w.registry.artifact(v);
        },
      };
      const actor: RetrainingActorHandle = await startRetrainingActor({
        bus: w.bus, subjects, samples: w.store, registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config: RETRAINING_TEST_CONFIG,
        streams: { OUTCOMES: streamName(cfg, 'OUTCOMES') }, tracker, trainingThread: 'worker',
      });
      try {
        await publishLabels(w, subjects, samplesOf(200, 110, 1, 2));
        await until('110 labels', () => actor.status().counters.labels === 110, 60_000);
        await actor.idle();
        expect(paused).toBe(true);
        // The fit was cancelled: nothing registered.
        expect(actor.status()).toMatchObject({ counters: { trainings: 1 }, lastOutcome: 'paused while training: cycle abandoned' });
        await expect(w.registry.get('dir@2')).rejects.toThrow();
        if (!resumeAtOnce) {
          expect(actor.status().phase).toBe('paused');
          actor.resume('', 'alice');
          await actor.idle();
        }
        expect(actor.status().phase).toBe('idle');
        // Before, the cancelled fit ended it as "cancelled" and the resume again as abandoned.
        expect(ended).toEqual([{ runId: 'run1', status: 'FAILED', outcome: 'abandoned by a pause' }]);
      } finally {
        await actor.stop();
        await w.bus.close();
      }
    }, 60_000);
  }
});

describe('retraining actor: a pause while a challenger that fails validation is checked', () => {
  it('ends the cycle\'s tracking run once, as abandoned by a pause, and still rejects the challenger', async () => {
    const w = await retrainingWorld(cfg, subjects);
    const { tracker, ended } = recordingTracker();
    let loads = 0;
    // The champion is the first model loaded; the challenger's artifact, the second, fails to load
    // (an invalid challenger) while the operator pauses.
    const actor: RetrainingActorHandle = await startRetrainingActor({
      bus: w.bus, subjects, samples: w.store, registry: w.registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config: RETRAINING_TEST_CONFIG,
      streams: { OUTCOMES: streamName(cfg, 'OUTCOMES') }, tracker, trainingThread: 'main',
      loadRuntime: async (bytes) => {
        if (++loads !== 2) return createOnnxRuntime({ bytes });
        actor.pause('inspection', 'alice');
        throw new Error('truncated artifact');
      },
    });
    try {
      await publishLabels(w, subjects, samplesOf(200, 110, 1, 2));
      await until('110 labels', () => actor.status().counters.labels === 110, 60_000);
      await actor.idle();
      expect(actor.status()).toMatchObject({ phase: 'paused', lastOutcome: 'paused while validating: cycle abandoned' });
      await expect(w.registry.promote('dir', 2, { actor: 'test', reason: 'test' })).rejects.toThrow(/rejected/);
      actor.resume('', 'alice');
      await actor.idle();
      expect(actor.status().phase).toBe('idle');
      expect(ended).toEqual([{ runId: 'run1', status: 'FAILED', outcome: 'abandoned by a pause' }]);
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  }, 60_000);
});
