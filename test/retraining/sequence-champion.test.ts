import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';
import { encode } from '../../streams/codec.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, labelOf, retrainingWorld, samplesOf } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtq', streamNamePrefix: 'RTQ_' };
const subjects = subjectsFor(cfgBase.prefix);
const OUTCOMES = streamName(cfgBase, 'OUTCOMES');
const config = RETRAINING_TEST_CONFIG;

/** The fixtures' world; with `window`, a sequence-model version of its champion (same graph, a window in the spec) goes to production. */
async function world(window: boolean): Promise<RetrainingWorld> {
  const w = await retrainingWorld(cfgBase, subjects);
  if (window) {
    const champ = w.champion;
    const { version: _v, aliases: _a, createdAt: _c, artifactSha256: _s, featureSpecHash: _h, ...rest } = champ;
    const seq = await w.registry.register({ ...rest, featureSpec: { ...champ.featureSpec, window: { steps: 8, stepMs: 3_600_000 } }, parentVersion: champ.version }, await w.registry.artifact(champ), { actor: 'test' });
    await w.registry.promote(seq.name, seq.version, { actor: 'test', reason: 'a sequence model in production' });
  }
  return w;
}

describe('retraining actor with a sequence model in production', () => {
  it('idles and says why, where a one-row champion would retrain on the same labels', async () => {
    for (const window of [false, true]) {
      const w = await world(window);
      const warnings: string[] = [];
      const log: Logger = { ...silentLogger, warn: (_o: unknown, msg?: string) => void warnings.push(msg ?? ''), child: () => log } as Logger;
      const actor = await startRetrainingActor({ bus: w.bus, subjects, samples: w.store, registry: w.registry, clock: createLiveClock(), log, strategy: 's1', model: 'dir', config, streams: { OUTCOMES }, trainingThread: 'main' });
      try {
        const fresh = samplesOf(200, 120, 1, 2, 1, { name: 'dir', version: window ? 2 : 1 });
        await w.store.commit({ samples: fresh });
        for (const s of fresh) await w.bus.publish(subjects.label('s1', s.venue, s.symbol), encode(labelOf(s)), { msgId: `lbl:${s.id}` });
        if (window) {
          await until('the refusal is said', () => warnings.some((m) => m.includes('sequence model')), 30_000);
          await w.bus.flush();
          expect(actor.status().counters.trainings).toBe(0);
          expect(actor.status().phase).toBe('idle');
          expect(warnings.filter((m) => m.includes('sequence model'))).toHaveLength(1); // once per version
        } else {
          await until('a one-row champion retrains', () => actor.status().counters.trainings === 1, 60_000);
        }
      } finally {
        await actor.stop();
        await w.bus.close();
      }
    }
  });
});
