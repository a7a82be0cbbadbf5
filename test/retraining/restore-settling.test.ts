import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import type { RetrainingTracker } from '../../models/mlflow/retraining-tracker.js';
import { parseRetrainingSnapshot } from '../../models/retraining/retraining-snapshot.js';
import type { RetrainingSnapshot } from '../../models/retraining/retraining-snapshot.js';
import type { RetrainingOutcome } from '../../state/retraining-machine.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';

const cfg = { ...loadConfig(), prefix: 'rtsettle', streamNamePrefix: 'RTSETTLE_' };
const subjects = subjectsFor(cfg.prefix);
const KEY = 'retraining:s1';

type Ended = Readonly<{ runId: string | undefined; status: string; endTime: number; tags: Readonly<Record<string, string>> | undefined }>;

/** A tracker that starts runs `run-1`, `run-2`, … and records the runs it ends. */
function recordingTracker(): RetrainingTracker & { ended: Ended[] } {
  let n = 0;
  const ended: Ended[] = [];
  return {
    enabled: true,
    ended,
    startRun: () => Promise.resolve(`run-${++n}`),
    logParams: () => Promise.resolve(true),
    logMetrics: () => Promise.resolve(true),
    logModelVersion: () => Promise.resolve(true),
    endRun: (runId, status, endTime, tags) => {
      ended.push({ runId, status, endTime, tags });
      return Promise.resolve(true);
    },
  };
}

function start(w: RetrainingWorld, tracker: RetrainingTracker): Promise<RetrainingActorHandle> {
  return startRetrainingActor({
    bus: w.bus, subjects, samples: w.store, registry: w.registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir',
    config: RETRAINING_TEST_CONFIG, streams: { OUTCOMES: streamName(cfg, 'OUTCOMES') }, trainingThread: 'main', tracker,
  });
}

// A snapshot stored between a cycle's verdict and its end (phase `promoted` or `rejected`, as an
// engine stopped in that step, or an older version, stored it): the restart ends the cycle as the
// live path does. Before, it was restored as idle: `cycles` one short, the shadow stats still shown
// and the cycle's MLflow run never ended.
describe('retraining actor: restored between a cycle\'s verdict and its end', () => {
  it('counts the cycle and ends its tracking run, as the run without a restart did', async () => {
    const w = await retrainingWorld(cfg, subjects);
    const live = recordingTracker();
    const stored: RetrainingSnapshot[] = [];
    const commit = w.store.commit.bind(w.store);
    w.store = {
      ...w.store,
      commit: (c) => {
        const s = parseRetrainingSnapshot(c.snapshot?.state);
        if (c.snapshot?.actor === KEY && s !== undefined) stored.push(structuredClone(s));
        return commit(c);
      },
    };
    const first = await start(w, live);
    let expected: ReturnType<RetrainingActorHandle['status']> | undefined;
    try {
      // The regime flips: the challenger v2 is trained at the 100th label and wins its shadow.
      await publishLabels(w, subjects, samplesOf(200, 170, 1, 2));
      await until('170 labels', () => first.status().counters.labels === 170, 60_000);
      await first.idle();
      expected = first.status();
    } finally {
      await first.stop();
    }
    if (expected === undefined) throw new Error('no status');
    expect(expected).toMatchObject({ phase: 'idle', cycles: 1, challenger: null, shadow: null, champion: { version: 2 }, counters: { promotions: 1 } });
    expect(expected.lastOutcome).toMatch(/^promoted dir@2: /);
    expect(live.ended).toEqual([{ runId: 'run-1', status: 'FINISHED', endTime: expect.any(Number) as number, tags: { 'sextant.outcome': 'promoted', 'sextant.challenger': 'dir@2' } }]);

    // What the actor held between the verdict and the cycle's end: the last commit (everything the
    // verdict did, stored), with the cycle, its shadow stats and its challenger not yet ended.
    const last = stored.at(-1);
    const inShadow = stored.filter((s) => s.phase === 'shadow').at(-1);
    if (last === undefined || inShadow === undefined) throw new Error('no snapshots stored');
    expect(last.cycle).toBeNull();
    // The live run stored the outcome's kind beside its text.
    expect(last.context.outcome).toEqual({ kind: 'promoted', reason: expect.stringMatching(/./) as string });
    /** Stored with `outcome`, or without it (an older snapshot: its text is read). */
    const between = (phase: 'promoted' | 'rejected', lastOutcome: string, outcome?: RetrainingOutcome): RetrainingSnapshot => {
      const { outcome: _dropped, ...older } = last.context;
      return {
        ...last,
        phase,
        context: { ...older, cycles: last.context.cycles - 1, challenger: inShadow.context.challenger, lastOutcome, ...(outcome !== undefined ? { outcome } : {}) },
        cycle: inShadow.cycle,
        shadow: inShadow.shadow,
      };
    };
    const restart = async (s: RetrainingSnapshot): Promise<{ status: ReturnType<RetrainingActorHandle['status']>; ended: Ended[] }> => {
      await commit({ samples: [], snapshot: { actor: KEY, state: s, ts: s.lastTs } });
      const tracker = recordingTracker();
      const actor = await start(w, tracker);
      try {
        await actor.idle();
        return { status: actor.status(), ended: tracker.ended };
      } finally {
        await actor.stop();
      }
    };

    const promoted = await restart(between('promoted', expected.lastOutcome ?? ''));
    expect(promoted.status).toEqual(expected);
    expect(promoted.ended).toEqual([{ runId: 'run-1', status: 'FINISHED', endTime: last.lastTs, tags: { 'sextant.outcome': 'promoted', 'sextant.challenger': 'dir@2' } }]);

    const rejected = await restart(between('rejected', 'rejected dir@2: lost its shadow run'));
    expect(rejected.status).toMatchObject({ phase: 'idle', cycles: 1, challenger: null, shadow: null, lastOutcome: 'rejected dir@2: lost its shadow run' });
    expect(rejected.ended).toEqual([{ runId: 'run-1', status: 'FINISHED', endTime: last.lastTs, tags: { 'sextant.outcome': 'rejected', 'sextant.challenger': 'dir@2' } }]);

    // A validation failure (INVALID goes to `rejected`): its run ends FAILED with the reason.
    const failed = await restart(between('rejected', 'failed dir@2: ONNX does not reproduce the fit'));
    expect(failed.status).toMatchObject({ phase: 'idle', cycles: 1, challenger: null, shadow: null });
    expect(failed.ended).toEqual([{ runId: 'run-1', status: 'FAILED', endTime: inShadow.cycle?.ts, tags: { 'sextant.outcome': 'ONNX does not reproduce the fit' } }]);

    // Stored with the outcome's kind: that is what ends the cycle, whatever its text says. Before,
    // the text alone was read: a failure worded otherwise ended FINISHED as a rejection, and a
    // deploy by someone else as a promotion.
    const failedKind = await restart(between('rejected', 'validation of dir@2 failed (ONNX does not reproduce the fit)', { kind: 'failed', reason: 'ONNX does not reproduce the fit' }));
    expect(failedKind.status).toMatchObject({ phase: 'idle', cycles: 1, challenger: null, shadow: null });
    expect(failedKind.ended).toEqual([{ runId: 'run-1', status: 'FAILED', endTime: inShadow.cycle?.ts, tags: { 'sextant.outcome': 'ONNX does not reproduce the fit' } }]);
    const deployed = await restart(between('promoted', 'promoted dir@2: deployed by the desk', { kind: 'deployed', reason: 'deployed by the desk' }));
    expect(deployed.status).toMatchObject({ phase: 'idle', cycles: 1, challenger: null, shadow: null });
    expect(deployed.ended).toEqual([{ runId: 'run-1', status: 'FINISHED', endTime: last.lastTs, tags: { 'sextant.outcome': 'deployed', 'sextant.challenger': 'dir@2' } }]);
    // …and one stored before it was kept, whose text names a deploy by someone else.
    const deployedOld = await restart(between('promoted', 'promoted dir@2: deployed to production by someone else during its shadow run'));
    expect(deployedOld.ended).toEqual([{ runId: 'run-1', status: 'FINISHED', endTime: last.lastTs, tags: { 'sextant.outcome': 'deployed', 'sextant.challenger': 'dir@2' } }]);
    await w.bus.close();
  }, 120_000);
});
