import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TrainingJobError, isTrainingCancelled } from '../../models/training/training-errors.js';
import { startTrainingJob } from '../../models/training/training-job.js';
import { trainingPriorityFromEnv } from '../../models/training/training-priority.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import type { Clock } from '../../state/clock.js';
import type { TrainingProgress } from '../../models/training/training-spec.js';
import { mlpSpec } from './training-job-spec.js';

describe.each(['process', 'thread'] as const)('training job (isolation %s)', (isolation) => {
  it('cancels between epochs: the result rejects as cancelled and training stops early', async () => {
    const progress: TrainingProgress[] = [];
    const job = startTrainingJob(mlpSpec(500, 500), (p) => {
      progress.push(p);
      if (p.type === 'epoch' && p.epoch === 2) job.cancel();
    }, { isolation });
    const err = await job.result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTrainingCancelled(err)).toBe(true);
    const last = progress.filter((p) => p.type === 'epoch').at(-1);
    expect(last?.type === 'epoch' ? last.epoch : 0).toBeLessThanOrEqual(3);
  }, 120_000);

  it('reports a bad spec as a failed job, not a crash', async () => {
    const spec = { ...mlpSpec(2, 2), fit: { x: new Float32Array(0), y: new Int32Array(0), rows: 0 } };
    await expect(startTrainingJob(spec, undefined, { isolation }).result).rejects.toThrow(/need training and validation rows/);
  });
});

describe('training process priority', () => {
  it('runs every thread of the training process SCHED_IDLE, and a terminate ends it mid-fit', async () => {
    const job = startTrainingJob(mlpSpec(500, 500), undefined, { isolation: 'process', priority: 'idle' });
    job.result.catch(() => undefined);
    const pid = job.pid;
    if (pid === undefined) throw new Error('a process job has a pid');
    // Policy is field 41 of /proc/<pid>/task/<tid>/stat (SCHED_IDLE = 5); wait for tfjs to be up.
    const policies = (): number[] =>
      readdirSync(`/proc/${pid}/task`).map((t) => {
        const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
      });
    await expect.poll(() => readdirSync(`/proc/${pid}/task`).length, { timeout: 30_000 }).toBeGreaterThan(4);
    const seen = policies();
    expect(seen.length).toBeGreaterThan(4);
    expect(seen.every((p) => p === 5)).toBe(true);
    // The test process itself is untouched.
    expect(Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]?.split(' ')[38])).toBe(0);
    await job.terminate();
    await expect(job.result).rejects.toSatisfy(isTrainingCancelled);
    expect(existsSync(`/proc/${pid}/task`)).toBe(false);
  }, 120_000);

  it('runs at the caller\'s priority when asked for normal (an offline fit on a busy host), and refuses an unknown SEXTANT_TRAINING_PRIORITY', async () => {
    const job = startTrainingJob(mlpSpec(500, 500), undefined, { isolation: 'process', priority: 'normal' });
    job.result.catch(() => undefined);
    const pid = job.pid;
    if (pid === undefined) throw new Error('a process job has a pid');
    await expect.poll(() => readdirSync(`/proc/${pid}/task`).length, { timeout: 30_000 }).toBeGreaterThan(4);
    const stats = readdirSync(`/proc/${pid}/task`).map((t) => readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'));
    const fields = stats.map((stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' '));
    expect(fields.map((f) => Number(f[38]))).toEqual(fields.map(() => 0)); // SCHED_OTHER
    expect(fields.map((f) => Number(f[16]))).toEqual(fields.map(() => 0)); // nice 0
    await job.terminate();
    expect(trainingPriorityFromEnv({})).toBe('idle');
    expect(trainingPriorityFromEnv({ SEXTANT_TRAINING_PRIORITY: 'normal' })).toBe('normal');
    expect(() => trainingPriorityFromEnv({ SEXTANT_TRAINING_PRIORITY: 'low' })).toThrow(/SEXTANT_TRAINING_PRIORITY must be idle or normal, got "low"/);
  }, 120_000);
});

describe('training process pause and resume', () => {
  it('stops the process (no progress, state T) and lets it go on where it stood', async () => {
    let epochs = 0;
    const job = startTrainingJob(mlpSpec(500, 500), (p) => void (p.type === 'epoch' && epochs++), { isolation: 'process' });
    job.result.catch(() => undefined);
    const state = (): string => readFileSync(`/proc/${job.pid ?? 0}/stat`, 'utf8').split(') ')[1]?.[0] ?? '?';
    try {
      await expect.poll(() => epochs, { timeout: 60_000 }).toBeGreaterThan(1);
      job.pause();
      await expect.poll(state, { timeout: 5_000 }).toBe('T');
      await new Promise((r) => setTimeout(r, 300)); // progress already on its way may still land
      const held = epochs;
      await new Promise((r) => setTimeout(r, 1_500));
      expect(epochs).toBe(held);
      job.resume();
      await expect.poll(() => epochs, { timeout: 60_000 }).toBeGreaterThan(held);
      expect(state()).not.toBe('T');
    } finally {
      await job.terminate();
    }
    const thread = startTrainingJob(mlpSpec(2, 2), undefined, { isolation: 'thread' });
    thread.result.catch(() => undefined);
    expect(() => thread.pause()).toThrow(/training process/);
    await thread.terminate();
  }, 120_000);
});

describe('a paced training process', () => {
  it('runs runMs and stops pauseMs by turns on its clock, stays stopped while paused, runs to see a cancel, and refuses what it cannot pace', async () => {
    const clock = createSimulatedClock(0);
    let epochs = 0;
    const job = startTrainingJob(mlpSpec(500, 500), (p) => void (p.type === 'epoch' && epochs++), { isolation: 'process', pace: { clock, runMs: 100, pauseMs: 300 } });
    job.result.catch(() => undefined);
    const state = (): string => readFileSync(`/proc/${job.pid ?? 0}/stat`, 'utf8').split(') ')[1]?.[0] ?? '?';
    const stillFor = async (ms: number): Promise<number> => {
      await new Promise((r) => setTimeout(r, 300)); // progress already on its way may still land
      const held = epochs;
      await new Promise((r) => setTimeout(r, ms));
      expect(epochs).toBe(held);
      return held;
    };
    try {
      await expect.poll(() => epochs, { timeout: 60_000 }).toBeGreaterThan(1);
      clock.advanceBy(99);
      expect(state()).not.toBe('T'); // still in its running part
      clock.advanceBy(1); // the running part is over: stopped for 300 ms of its clock
      await expect.poll(state, { timeout: 5_000 }).toBe('T');
      const rested = await stillFor(1_000);
      clock.advanceBy(300); // running again
      await expect.poll(() => epochs, { timeout: 60_000 }).toBeGreaterThan(rested);
      // Paused by its owner, it stays stopped through running parts until resumed.
      job.pause();
      await expect.poll(state, { timeout: 5_000 }).toBe('T');
      clock.advanceBy(100); // → stopped part
      clock.advanceBy(300); // → running part, but paused
      const paused = await stillFor(1_000);
      expect(state()).toBe('T');
      job.resume();
      await expect.poll(() => epochs, { timeout: 60_000 }).toBeGreaterThan(paused);
      // Cancelled in a stopped part, it is let go to see the cancel.
      clock.advanceBy(100);
      await expect.poll(state, { timeout: 5_000 }).toBe('T');
      job.cancel();
      await expect(job.result).rejects.toSatisfy(isTrainingCancelled);
    } finally {
      await job.terminate();
    }
    expect(() => startTrainingJob(mlpSpec(2, 2), undefined, { isolation: 'thread', pace: { clock, runMs: 100, pauseMs: 100 } })).toThrow(/isolation process/);
    expect(() => startTrainingJob(mlpSpec(2, 2), undefined, { isolation: 'process', pace: { clock, runMs: 0, pauseMs: 100 } })).toThrow(/runMs > 0/);
    expect(() => startTrainingJob(mlpSpec(2, 2), undefined, { pace: { clock, runMs: 10, pauseMs: -1 } })).toThrow(TrainingJobError);
  }, 180_000);
});

/** A clock whose timers fire only when told, at a chosen time: a probe can be made to fire late. */
function manualClock(start: number): Clock & { fireUntil(at: number, stepMs: number): void } {
  let now = start;
  let nextId = 0;
  const timers = new Map<number, { due: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const h = { id: ++nextId };
      timers.set(h.id, { due: now + ms, fn });
      return h;
    },
    clearTimeout(h) {
      timers.delete(h.id);
    },
    /** Moves to `at` in steps of `stepMs`, firing each timer due by then at that step's time. */
    fireUntil(at, stepMs) {
      while (now < at) {
        now = Math.min(at, now + stepMs);
        for (const [id, t] of [...timers]) {
          if (t.due > now) continue;
          timers.delete(id);
          t.fn();
        }
      }
    },
  };
}

describe('a training process that yields to the live path', () => {
  it('stops for holdMs when its probe fires lagMs late, renews the hold while the lag lasts, then runs on', async () => {
    const clock = manualClock(0);
    let epochs = 0;
    const yieldTo = { lagMs: 10, holdMs: 200, probeMs: 5 };
    const job = startTrainingJob(mlpSpec(500, 500), (p) => void (p.type === 'epoch' && epochs++), { isolation: 'process', pace: { clock, runMs: 100, pauseMs: 0, yieldTo } });
    job.result.catch(() => undefined);
    const state = (): string => readFileSync(`/proc/${job.pid ?? 0}/stat`, 'utf8').split(') ')[1]?.[0] ?? '?';
    try {
      await expect.poll(() => epochs, { timeout: 60_000 }).toBeGreaterThan(1);
      clock.fireUntil(50, 5); // probes on time: it keeps running
      expect(state()).not.toBe('T');
      clock.fireUntil(100, 50); // a probe 45 ms late: held to 300
      await expect.poll(state, { timeout: 5_000 }).toBe('T');
      clock.fireUntil(250, 5); // on time again, still inside the hold
      await new Promise((r) => setTimeout(r, 300)); // progress already on its way may still land
      const held = epochs;
      await new Promise((r) => setTimeout(r, 1_000));
      expect(epochs).toBe(held);
      expect(state()).toBe('T');
      clock.fireUntil(280, 30); // late again (25 ms): the hold now lasts to 480
      clock.fireUntil(470, 5);
      expect(state()).toBe('T');
      clock.fireUntil(490, 5); // the hold is over
      await expect.poll(() => epochs, { timeout: 60_000 }).toBeGreaterThan(held);
      expect(state()).not.toBe('T');
    } finally {
      await job.terminate();
    }
    expect(() => startTrainingJob(mlpSpec(2, 2), undefined, { pace: { clock, runMs: 10, pauseMs: 0, yieldTo: { lagMs: 10, holdMs: 0, probeMs: 5 } } })).toThrow(/holdMs > 0/);
  }, 180_000);
});
