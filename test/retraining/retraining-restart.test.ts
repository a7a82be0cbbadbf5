import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { TrainingSample } from '../../state/training-sample-store.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import type { ModelEvent } from '../../streams/messages/model-event.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { collect, until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtm', streamNamePrefix: 'RTM_' };
const subjects = subjectsFor(cfgBase.prefix);
const OUTCOMES = streamName(cfgBase, 'OUTCOMES');
const DLQ = streamName(cfgBase, 'DLQ');
const config = RETRAINING_TEST_CONFIG;
type World = RetrainingWorld;
const world = (): Promise<World> => retrainingWorld(cfgBase, subjects);

const start = (w: World): Promise<RetrainingActorHandle> =>
  startRetrainingActor({ bus: w.bus, subjects, samples: w.store, registry: w.registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config, streams: { OUTCOMES }, trainingThread: 'main' });

const label = (w: World, samples: readonly TrainingSample[]): Promise<void> => publishLabels(w, subjects, samples);

describe('retraining actor restart (memory bus and stores)', () => {
  it('continues a shadow run from its snapshot after a restart and reaches the same verdict as an uninterrupted run', async () => {
    const fresh = samplesOf(200, 170, 1, 2);

    const a = await world();
    const straight = await start(a);
    await label(a, fresh);
    await until('uninterrupted promotion', () => straight.status().counters.promotions === 1, 60_000);
    await straight.stop();
    const reference = straight.status().lastOutcome;
    expect(reference).toMatch(/^promoted dir@2: shadow over 60 labeled predictions/);
    expect((await a.registry.get('dir@production')).version).toBe(2);

    const b = await world();
    const first = await start(b);
    await label(b, fresh.slice(0, 130));
    await until('130 labels applied', () => first.status().counters.labels === 130, 60_000);
    await first.idle();
    expect(first.status().phase).toBe('shadow');
    expect(first.status().shadow?.n).toBe(27); // the first 3 labels of the shadow overlap the training labels (purged)
    await first.stop();

    const second = await start(b);
    expect(second.status()).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 2 }, shadow: { n: 27 }, counters: { labels: 130, trainings: 1 } });
    // A malformed label goes to the DLQ; the actor carries on.
    await b.bus.publish(subjects.label('s1', 'binance', 'BTC/USDT'), new TextEncoder().encode('{"type":"label","v":1}'), { msgId: 'bad-label' });
    const dlq = collect<DlqEntry>(b.bus, DLQ, subjects.dlq('retraining'));
    await label(b, fresh.slice(130));
    await until('promotion after restart', () => second.status().counters.promotions === 1, 60_000);
    await until('every label applied', () => second.status().counters.labels === 170, 60_000);
    await second.stop();
    // Same labels, same seed, same samples: the same challenger and the same shadow numbers.
    expect(second.status().lastOutcome).toBe(reference);
    expect((await b.registry.get('dir@production')).version).toBe(2);
    expect((await b.registry.get('dir@2')).artifactSha256).toBe((await a.registry.get('dir@2')).artifactSha256);
    expect(second.status().counters).toMatchObject({ labels: 170, refused: 1, promotions: 1 });
    await until('dlq entry', () => dlq.msgs.length === 1);
    expect(dlq.msgs[0]?.reason).toBe('SCHEMA');
    await dlq.stop();
    for (const w of [a, b]) await w.bus.close();
  }, 120_000);

  it('continues a rollback watch (the previous model scored beside the promoted one) after a restart, and rolls back as an uninterrupted run does', async () => {
    // The regime flips (promotion at the 163rd label: the shadow purges 3 labels), then flips back with wilder inputs: on
    // those labels the promoted model does far worse than the old champion scored beside it.
    const labels = [...samplesOf(200, 170, 1, 2), ...samplesOf(400, 80, -1, 3, 3)];
    const rolledBack = async (w: World): Promise<string | undefined> => {
      const events = collect<ModelEvent>(w.bus, OUTCOMES, subjects.model('dir', '*'));
      await until('rolled_back event', () => events.msgs.some((e) => e.event === 'rolled_back'), 60_000);
      const reason = events.msgs.find((e) => e.event === 'rolled_back')?.reason;
      await events.stop();
      return reason;
    };

    const a = await world();
    const straight = await start(a);
    await label(a, labels);
    const reference = await rolledBack(a);
    await straight.stop();
    expect(reference).toMatch(/^dir@2 decayed: log loss .* over \d+ labels > .* of dir@1 on the same labels \+ 0\.02, t .* \(min 2\)$/);

    const b = await world();
    const first = await start(b);
    await label(b, labels.slice(0, 190));
    await until('190 labels applied', () => first.status().counters.labels === 190, 60_000);
    await first.idle();
    const watched = first.status().watch;
    expect(watched).toMatchObject({ version: 2, previousVersion: 1, paired: { n: 27, champion: { version: 1 }, challenger: { version: 2 } } });
    await first.stop();

    const second = await start(b);
    expect(second.status().watch).toEqual(watched);
    await label(b, labels.slice(190));
    expect(await rolledBack(b)).toBe(reference);
    await until('every label applied', () => second.status().counters.labels === labels.length, 60_000);
    await second.stop();
    expect(second.status().counters).toMatchObject({ promotions: 1, rollbacks: 1 });
    expect((await b.registry.get('dir@production')).version).toBe(1);
    for (const w of [a, b]) await w.bus.close();
  }, 120_000);
});
