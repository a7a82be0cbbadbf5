import { describe, expect, it } from 'vitest';
import { RefusalReason } from '../../streams/messages/dlq-entry.js';
import { makeTrade, makeWorld, publishAll, readDlq, startActor, until } from './harness.js';

const DAY = 86_400_000;

/**
 * A live engine's asset actor refuses market data stamped too far after its clock: admitted, one
 * tick from the future (a year typed wrong, a venue's clock error) became the newest of its stream
 * and refused every real tick after it as OUT_OF_ORDER, and its snapshot kept that across restarts.
 */
describe('asset actor: market data ahead of the clock (validation.maxAheadMs, live engines)', () => {
  it('refuses a tick stamped more than maxAheadMs after the clock (SCHEMA, dead-lettered) and admits the real ticks after it', async () => {
    const w = await makeWorld();
    const now = w.clock.now();
    const actor = await startActor(w, undefined, { maxAheadMs: 60_000 });
    const future = makeTrade(1, now + 365 * DAY);
    const near = makeTrade(2, now + 59_000); // within the bound: a venue a little ahead
    const real = [makeTrade(3, now + 59_500), makeTrade(4, now + 60_000)];
    await publishAll(w, [makeTrade(0, now - 1_000), future, near, ...real]);
    await until(() => w.counters.messagesIn === 5, 'all handled');
    const dlq = await readDlq(w, 1);
    await actor.stop();
    expect(w.counters.accepted).toBe(4);
    expect(w.counters.refused).toEqual({ [RefusalReason.SCHEMA]: 1 });
    expect(dlq[0]).toMatchObject({ reason: RefusalReason.SCHEMA });
    expect(dlq[0]?.detail).toContain(`ts ${future.ts}`);
    expect(dlq[0]?.detail).toContain(`${365 * DAY} ms ahead of the engine's clock (at most 60000 ms, validation.maxAheadMs)`);
    // The dead letter is stamped at the clock's time, not the future tick's.
    expect(dlq[0]?.ts).toBe(now);
  });

  it('checks nothing without maxAheadMs (backtests, on event time): a bar a year on is the next event', async () => {
    const w = await makeWorld();
    const now = w.clock.now();
    const actor = await startActor(w);
    await publishAll(w, [makeTrade(0, now), makeTrade(1, now + 365 * DAY)]);
    await until(() => w.counters.messagesIn === 2, 'both handled');
    await actor.stop();
    expect(w.counters).toMatchObject({ accepted: 2, refused: {} });
  });
});
