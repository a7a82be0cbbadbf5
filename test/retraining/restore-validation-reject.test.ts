import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { parseRetrainingSnapshot } from '../../models/retraining/retraining-snapshot.js';
import type { RetrainingSnapshot } from '../../models/retraining/retraining-snapshot.js';
import type { ModelRuntime } from '../../models/runtime/model-runtime.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { RetrainingOutcome } from '../../state/retraining-machine.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';

const cfg = { ...loadConfig(), prefix: 'rtvrestore', streamNamePrefix: 'RTVRESTORE_' };
const subjects = subjectsFor(cfg.prefix);
const KEY = 'retraining:s1';
// A cycle at 100 labels, a short fit and a shadow run that outlasts the test.
const config = RetrainingConfigSchema.parse({ ...RETRAINING_TEST_CONFIG, training: { ...RETRAINING_TEST_CONFIG.training, epochs: 5 }, shadow: { ...RETRAINING_TEST_CONFIG.shadow, predictions: 1000 } });

function start(w: RetrainingWorld, registry: ModelRegistry = w.registry, loadRuntime?: (bytes: Uint8Array) => Promise<ModelRuntime>): Promise<RetrainingActorHandle> {
  return startRetrainingActor({
    bus: w.bus, subjects, samples: w.store, registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config,
    streams: { OUTCOMES: streamName(cfg, 'OUTCOMES') }, trainingThread: 'main', ...(loadRuntime !== undefined ? { loadRuntime } : {}),
  });
}

/** What the registry holds of dir@2: whether rejected, and its aliases. */
async function v2Of(registry: ModelRegistry): Promise<{ rejected: boolean; aliases: readonly string[] } | undefined> {
  const v = (await registry.list('dir')).find((x) => x.version === 2);
  return v === undefined ? undefined : { rejected: v.rejected, aliases: v.aliases };
}

describe('retraining actor: a challenger that failed its validation is rejected in the registry before the machine says so', () => {
  it('calls the registry\'s reject while the cycle is still validating (as a shadow verdict calls it before the machine moves)', async () => {
    const w = await retrainingWorld(cfg, subjects);
    const phases: string[] = [];
    const started: { actor?: RetrainingActorHandle } = {};
    const registry: ModelRegistry = {
      ...w.registry,
      reject: (name, version, o) => {
        phases.push(started.actor?.status().phase ?? 'none');
        return w.registry.reject(name, version, o);
      },
    };
    let loads = 0;
    // The champion loads as stored; the challenger's artifact does not load.
    const loadRuntime = async (bytes: Uint8Array): Promise<ModelRuntime> => (loads++ === 0 ? createOnnxRuntime({ bytes }) : Promise.reject(new Error('truncated protobuf')));
    const actor = await start(w, registry, loadRuntime);
    started.actor = actor;
    try {
      await publishLabels(w, subjects, samplesOf(200, 100, 1, 2));
      await until('every label applied', () => actor.status().counters.labels === 100, 60_000);
      await actor.idle();
      // Before, the machine was sent INVALID first: it said `rejected` (stored so by any commit
      // meanwhile) while the registry still held the challenger as `candidate`.
      expect(phases).toEqual(['validating']);
      expect(actor.status()).toMatchObject({ phase: 'idle', challenger: null, counters: { rejections: 1 }, lastOutcome: 'failed dir@2: artifact does not load: truncated protobuf' });
      expect(await v2Of(w.registry)).toEqual({ rejected: true, aliases: [] });
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  }, 60_000);

  it('rejects it on restore when the snapshot was stored in `rejected` before the registry\'s reject (with the outcome as data, or from an older version without it)', async () => {
    const w = await retrainingWorld(cfg, subjects);
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
    // A challenger fitted, registered and made `candidate` (it goes on to its shadow run here).
    const first = await start(w);
    try {
      await publishLabels(w, subjects, samplesOf(200, 100, 1, 2));
      await until('every label applied', () => first.status().counters.labels === 100, 60_000);
      await first.idle();
      expect(first.status()).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 2 } });
    } finally {
      await first.stop();
    }
    const last = stored.at(-1);
    if (last === undefined || last.cycle === null) throw new Error('no cycle stored');
    const reason = 'ONNX output differs from the fit';
    /** What INVALID stored when a commit came before the registry's reject (or a restart's redo failed). */
    const invalid = (outcome: RetrainingOutcome | undefined): RetrainingSnapshot => {
      const { outcome: _dropped, ...older } = last.context;
      return { ...last, phase: 'rejected', shadow: null, context: { ...older, lastOutcome: `failed dir@2: ${reason}`, ...(outcome !== undefined ? { outcome } : {}) } };
    };
    const restart = async (s: RetrainingSnapshot): Promise<ReturnType<RetrainingActorHandle['status']>> => {
      await commit({ samples: [], snapshot: { actor: KEY, state: s, ts: s.lastTs } });
      const actor = await start(w);
      try {
        await actor.idle();
        return actor.status();
      } finally {
        await actor.stop();
      }
    };

    expect(await v2Of(w.registry)).toEqual({ rejected: false, aliases: ['candidate'] });
    const now = await restart(invalid({ kind: 'failed', reason }));
    // Before, the restart ended the cycle and left dir@2 `candidate`, never rejected (promotable).
    expect(await v2Of(w.registry)).toEqual({ rejected: true, aliases: [] });
    expect(now).toMatchObject({ phase: 'idle', challenger: null, cycles: last.context.cycles + 1, counters: { rejections: last.counters.rejections + 1 } });

    // Restored again (already rejected, or from an older snapshot without the outcome's kind): nothing fails, nothing counted twice.
    const again = await restart(invalid(undefined));
    expect(again).toMatchObject({ phase: 'idle', challenger: null, counters: { rejections: last.counters.rejections } });
    expect(await v2Of(w.registry)).toEqual({ rejected: true, aliases: [] });
    await w.bus.close();
  }, 120_000);
});
