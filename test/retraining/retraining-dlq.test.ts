import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { collect, until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, retrainingWorld } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtd', streamNamePrefix: 'RTD_' };
const subjects = subjectsFor(cfgBase.prefix);
const OUTCOMES = streamName(cfgBase, 'OUTCOMES');
const DLQ = streamName(cfgBase, 'DLQ');

describe('retraining actor dead letters (memory bus and stores)', () => {
  it('dead-letters the same bytes published twice as two entries, and a batch redelivered to the next actor as the same ones', async () => {
    const w = await retrainingWorld(cfgBase, subjects);
    // A sender re-sending what it sent, without a Nats-Msg-Id: each copy is a message of the stream, refused.
    const bad = new TextEncoder().encode('{"type":"label","v":1}');
    await w.bus.publish(subjects.label('s1', 'binance', 'BTC/USDT'), bad);
    await w.bus.publish(subjects.label('s1', 'binance', 'BTC/USDT'), bad);
    // The first actor's commit fails after the batch's dead letters went out: it stops, the next one is handed the batch again.
    const failing: TrainingSampleStore = { ...w.store, commit: () => Promise.reject(new Error('store unavailable')) };
    const start = (samples: TrainingSampleStore) =>
      startRetrainingActor({ bus: w.bus, subjects, samples, registry: w.registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config: RETRAINING_TEST_CONFIG, streams: { OUTCOMES }, trainingThread: 'main' });
    const first = await start(failing);
    await expect(first.done).rejects.toThrow('store unavailable');
    expect(first.status().counters.refused).toBe(2);
    await first.stop();
    const second = await start(w.store);
    await until('the batch again', () => second.status().counters.refused === 2, 5_000);
    await second.idle();
    const dlq = collect<DlqEntry>(w.bus, DLQ, subjects.dlq('retraining'));
    await until('the dead letters', () => dlq.msgs.length >= 2, 5_000);
    expect(dlq.msgs.map((e) => e.reason)).toEqual(['SCHEMA', 'SCHEMA']);
    expect(new Set(dlq.msgs.map((e) => e.id)).size).toBe(2);
    expect(await w.bus.countMessages(DLQ)).toBe(2); // refused again by the second actor: the same entries
    await dlq.stop();
    await second.stop();
    await w.bus.close();
  });

  it('dead-letters the same bad model event received twice as two entries, and one after a restart as a third', async () => {
    const w = await retrainingWorld(cfgBase, subjects);
    const start = () =>
      startRetrainingActor({ bus: w.bus, subjects, samples: w.store, registry: w.registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config: RETRAINING_TEST_CONFIG, streams: { OUTCOMES }, trainingThread: 'main' });
    const dlq = collect<DlqEntry>(w.bus, DLQ, subjects.dlq('retraining'));
    // A core delivery: no stream sequence to tell two copies apart.
    const bad = new TextEncoder().encode('{"type":"model.event","v":1}');
    const first = await start();
    w.bus.emit(subjects.model('dir', 'promoted'), bad);
    w.bus.emit(subjects.model('dir', 'promoted'), bad);
    await until('two refusals', () => first.status().counters.refused === 2, 5_000);
    await first.idle();
    await until('two dead letters', () => dlq.msgs.length >= 2, 5_000);
    await first.stop();
    // Its count of refused model events is stored: the next actor's entry is a new one too.
    const second = await start();
    expect(second.status().counters).toMatchObject({ refused: 2, refusedModelEvents: 2 });
    w.bus.emit(subjects.model('dir', 'promoted'), bad);
    await until('the third refusal', () => second.status().counters.refused === 3, 5_000);
    await second.idle();
    await until('three dead letters', () => dlq.msgs.length >= 3, 5_000);
    expect(dlq.msgs.map((e) => [e.reason, e.subject])).toEqual(Array.from({ length: 3 }, () => ['SCHEMA', subjects.model('dir', 'promoted')]));
    expect(new Set(dlq.msgs.map((e) => e.id)).size).toBe(3);
    expect(await w.bus.countMessages(DLQ)).toBe(3);
    await dlq.stop();
    await second.stop();
    await w.bus.close();
  });
});
