import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { runTrainingSpec } from '../../models/training/run-training-spec.js';
import { startTrainingJob } from '../../models/training/training-job.js';
import type { TrainingProgress } from '../../models/training/training-spec.js';
import { measureLag } from '../models/event-loop-lag.js';
import { COLS, mlpSpec } from './training-job-spec.js';

// A timing test: `npm test` runs it after the parallel suites, alone (like the kill-switch and
// fan-out latency tests), because another suite training on the second core stalls this loop
// whatever the job does (CI at stop 17 saw twelve stalls past the idle worst + 50 ms in parallel).

async function onnxProbs(bytes: Uint8Array, x: Float32Array, n: number): Promise<Float32Array> {
  const s = await InferenceSession.create(bytes);
  try {
    const out = await s.run({ features: new Tensor('float32', x, [n, COLS]) });
    return out['probs']?.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe.each(['process', 'thread'] as const)('training job off the main thread (isolation %s)', (isolation) => {
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
      // At idle priority whatever SEXTANT_TRAINING_PRIORITY the test run sets: the lag is its point.
      result = await startTrainingJob(spec, (p) => progress.push(p), { isolation, priority: 'idle' }).result;
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
});
