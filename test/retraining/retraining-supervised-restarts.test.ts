import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import type { RetrainingStatus } from '../../actors/retraining-status.js';
import type { Supervisor } from '../../actors/supervisor.js';
import type { ActorSummary } from '../../cli/engine-status-feed.js';
import { startEngineStatusFeed } from '../../cli/engine-status-feed.js';
import { superviseRetraining } from '../../cli/supervised-retraining.js';
import { createCounters } from '../../state/counters.js';
import { silentLogger } from '../../state/logger.js';

/** A stand-in retraining actor whose `done` the test fails; it records what the operator sent it. */
type Fake = { handle: RetrainingActorHandle; fail(e: Error): void; sent: string[]; stopped: boolean };

function fakeActor(n: number): Fake {
  let reject: (e: Error) => void = () => {};
  let resolve: () => void = () => {};
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  done.catch(() => {});
  const status = { phase: 'shadow', model: `actor-${n}`, cycles: 0, counters: { trainings: 1, promotions: 0, rejections: 0, rollbacks: 0 } } as unknown as RetrainingStatus;
  const fake: Fake = {
    sent: [],
    stopped: false,
    fail: (e) => reject(e),
    handle: {
      key: 'retraining:s1',
      strategy: 's1',
      consumers: [],
      status: () => status,
      trigger: (reason) => {
        fake.sent.push(`trigger ${reason}`);
        return { accepted: true, reason: 'retraining triggered', status };
      },
      pause: (reason) => {
        fake.sent.push(`pause ${reason}`);
        return status;
      },
      resume: () => {
        fake.sent.push('resume');
        return status;
      },
      idle: () => Promise.resolve(),
      stop: async () => {
        fake.stopped = true;
        resolve();
      },
      done,
    },
  };
  return fake;
}

describe('superviseRetraining restarts', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('backs off between consecutive failures of actors that start and then fail at once, instead of restarting every restartMs for ever', async () => {
    const startedAt: number[] = [];
    const start = (): Promise<RetrainingActorHandle> => {
      const a = fakeActor(startedAt.length);
      startedAt.push(Date.now());
      // Started fine; its first batch fails (a poisoned batch, a store that is down).
      if (startedAt.length > 0) void Promise.resolve().then(() => a.fail(new Error('poisoned batch')));
      return Promise.resolve(a.handle);
    };
    const sup = await superviseRetraining(start, { log: silentLogger, restartMs: 1000 });
    await vi.advanceTimersByTimeAsync(100_000);
    const gaps = startedAt.slice(1).map((t, i) => t - (startedAt[i] ?? 0));
    expect(gaps.slice(0, 7)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    await sup.stop();
  });

  it('refuses operator commands while the failed actor waits to be replaced, instead of answering them from the dead one', async () => {
    const actors: Fake[] = [];
    const start = (): Promise<RetrainingActorHandle> => {
      const a = fakeActor(actors.length);
      actors.push(a);
      return Promise.resolve(a.handle);
    };
    const sup = await superviseRetraining(start, { log: silentLogger, restartMs: 1000 });
    actors[0]?.fail(new Error('store down'));
    await vi.advanceTimersByTimeAsync(10);
    // UNAVAILABLE to the operator (`sextant ctl retrain …`): nothing was done.
    expect(() => sup.trigger('now', 'alice')).toThrow(expect.objectContaining({ code: 'UNAVAILABLE', message: expect.stringMatching(/restart/) }));
    expect(() => sup.pause('hold', 'alice')).toThrow(/restart/);
    expect(() => sup.resume('', 'alice')).toThrow(/restart/);
    expect(actors[0]?.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(actors).toHaveLength(2);
    expect(sup.trigger('now', 'alice').accepted).toBe(true);
    expect(actors[1]?.sent).toEqual(['trigger now']);
    await sup.stop();
  });

  it('says in its status and on the dashboard that the actor is restarting, and why, instead of the failed actor\'s phase', async () => {
    const actors: Fake[] = [];
    const start = (): Promise<RetrainingActorHandle> => {
      const a = fakeActor(actors.length);
      actors.push(a);
      return Promise.resolve(a.handle);
    };
    const sup = await superviseRetraining(start, { log: silentLogger, restartMs: 1000 });
    const published: ActorSummary[] = [];
    const noSupervisor: Supervisor = { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [], stop: async () => {} };
    const feed = startEngineStatusFeed({
      engine: { supervisor: noSupervisor, counters: createCounters(), decisions: undefined, labeling: undefined, retraining: sup },
      hub: { publishLocal: (topic, _key, data) => (topic === 'actors' ? published.push(data as ActorSummary) : undefined) },
      bus: { consumerInfo: () => Promise.resolve(undefined) },
      consumers: [],
      intervalMs: 60_000,
      log: silentLogger,
    });
    try {
      expect(sup.status().restarting).toBeUndefined();
      actors[0]?.fail(new Error('store down'));
      await vi.advanceTimersByTimeAsync(10);
      expect(sup.status()).toMatchObject({ phase: 'shadow', restarting: { error: 'Error: store down' } });
      feed.flush();
      expect(published.at(-1)).toMatchObject({ kind: 'retraining', state: 'restarting', lastError: 'Error: store down' });
      await vi.advanceTimersByTimeAsync(1000);
      expect(actors).toHaveLength(2);
      expect(sup.status()).toMatchObject({ phase: 'shadow', model: 'actor-1' });
      expect(sup.status().restarting).toBeUndefined();
      feed.flush();
      expect(published.at(-1)).toMatchObject({ kind: 'retraining', state: 'shadow' });
      expect(published.at(-1)?.lastError).toBeUndefined();
    } finally {
      feed.stop();
      await sup.stop();
    }
  });

  it('stop() waits for an actor whose start was in flight, and stops it', async () => {
    let release: (h: RetrainingActorHandle) => void = () => {};
    const actors: Fake[] = [];
    const start = (): Promise<RetrainingActorHandle> => {
      const a = fakeActor(actors.length);
      actors.push(a);
      if (actors.length === 1) return Promise.resolve(a.handle);
      return new Promise((res) => (release = res));
    };
    const sup = await superviseRetraining(start, { log: silentLogger, restartMs: 1000 });
    actors[0]?.fail(new Error('store down'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(actors).toHaveLength(2);
    let stopped = false;
    const stopping = sup.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(10);
    expect(stopped).toBe(false);
    const second = actors[1];
    if (second === undefined) throw new Error('no second actor');
    release(second.handle);
    await stopping;
    expect(second.stopped).toBe(true);
  });
});
