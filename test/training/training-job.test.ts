import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS } from '../../models/training/model-params.js';
import { runTrainingSpec } from '../../models/training/run-training-spec.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import { TrainingJobError, isTrainingCancelled } from '../../models/training/training-errors.js';
import { startTrainingJob } from '../../models/training/training-job.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import type { Clock } from '../../state/clock.js';
import type { TrainingProgress, TrainingSpec } from '../../models/training/training-spec.js';
import { measureLag } from '../models/event-loop-lag.js';

const COLS = 6;

function rows(n: number, seed: number): { x: Float32Array; y: Int32Array; rows: number } {
  const rng = mulberry32(seed);
  const x = new Float32Array(n * COLS).map(() => 2 * rng() - 1);
  const y = Int32Array.from({ length: n }, (_, r) => {
    const s = (x[r * COLS] as number) + 0.5 * (x[r * COLS + 1] as number) * (x[r * COLS + 2] as number);
    return s < -0.3 ? 0 : s > 0.3 ? 2 : 1;
  });
  return { x, y, rows: n };
}

function mlpSpec(epochs: number, patience: number): TrainingSpec {
  const test = rows(400, 3);
  return {
    model: 'mlp',
    params: { ...DEFAULT_PARAMS.mlp, hidden: [64, 32], epochs, patience, batchSize: 64, learningRate: 0.01, seed: 1 },
    classes: 3,
    window: 1,
    cols: COLS,
    fit: rows(4000, 1),
    validation: rows(800, 2),
    evaluate: { test: { x: test.x, rows: test.rows } },
    export: { inputName: 'features', outputName: 'probs', graphName: 'job_test', metadata: {} },
  };
}

async function onnxProbs(bytes: Uint8Array, x: Float32Array, n: number): Promise<Float32Array> {
  const s = await InferenceSession.create(bytes);
  try {
    const out = await s.run({ features: new Tensor('float32', x, [n, COLS]) });
    return out['probs']?.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe.each(['process', 'thread'] as const)('training job (isolation %s)', (isolation) => {
  it('trains off the main thread: the main loop keeps ticking (lag p99 < 50 ms, at most one stall past the idle worst + 50 ms; the same fit inline blocks it) and the ONNX export matches', async () => {
    const spec = mlpSpec(5, 5);
    // What the loop's lag is with nothing of ours running: on a shared 2-core machine the OS alone
    // stalls it now and then (20–200 ms at load ≈ 10–18), and that is not the job's doing.
    const idle = await measureLag(() => new Promise((resolve) => setTimeout(resolve, 1500)));
    const progress: TrainingProgress[] = [];
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    let result: Awaited<ReturnType<typeof startTrainingJob>['result']> | undefined;
    const lag = await measureLag(async () => {
      result = await startTrainingJob(spec, (p) => progress.push(p), { isolation }).result;
    });
    clearInterval(ticker);
    // The same fit on the main thread, for contrast (two epochs are enough to show the blocking).
    const inline = await measureLag(() => runTrainingSpec({ ...spec, params: { ...spec.params, epochs: 1 } }));
    console.log(
      `idle loop: lag max ${idle.maxLagMs.toFixed(1)} ms; training job: ${lag.elapsedMs.toFixed(0)} ms, main-thread lag max ${lag.maxLagMs.toFixed(1)} ms, p99 ${lag.p99LagMs.toFixed(1)} ms, ${ticks} ticks of a 10 ms interval; ` +
        `the same fit on the main thread: lag max ${inline.maxLagMs.toFixed(1)} ms, p99 ${inline.p99LagMs.toFixed(1)} ms`,
    );
    expect(lag.elapsedMs).toBeGreaterThan(300); // long enough that a blocked loop would show
    // A job on this thread would stall the loop once per epoch (five epochs here; the inline run
    // below shows one). The idle window's worst stall + 50 ms may be passed at most once: under a
    // loaded test run one OS stall alone reaches ~100 ms (seen in CI: idle max 30 ms, one stall
    // of 108 ms while the job ran), which says nothing about the job.
    expect(lag.p99LagMs).toBeLessThan(50);
    expect(lag.gapsMs.filter((g) => g > idle.maxLagMs + 50).length).toBeLessThanOrEqual(1);
    expect(inline.maxLagMs).toBeGreaterThan(idle.maxLagMs + 50);
    expect(ticks).toBeGreaterThan(lag.elapsedMs / 10 / 2);

    const r = result!;
    const epochs = progress.filter((p) => p.type === 'epoch');
    expect(epochs.map((p) => p.epoch)).toEqual(Array.from({ length: r.epochsRun }, (_, i) => i + 1));
    expect(r.valLogLoss).toHaveLength(r.epochsRun);
    expect(r.backend).toBe('wasm');
    expect(r.columns).toEqual([0, 1, 2, 3, 4, 5]);
    const test = spec.evaluate['test']!;
    const onnx = await onnxProbs(r.onnx, test.x, test.rows);
    const tfjs = r.predictions['test']!;
    expect(tfjs).toHaveLength(test.rows * 3);
    let diff = 0;
    for (let i = 0; i < tfjs.length; i++) diff = Math.max(diff, Math.abs((onnx[i] as number) - (tfjs[i] as number)));
    expect(diff).toBeLessThan(1e-5);
  }, 180_000);

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
    const job = startTrainingJob(mlpSpec(500, 500), undefined, { isolation: 'process' });
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
