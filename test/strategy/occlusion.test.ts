import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { occlude, topAttributions } from '../../models/inference/occlusion.js';
import { createRunningBaseline } from '../../models/inference/running-baseline.js';
import type { ModelRuntime } from '../../models/runtime/model-runtime.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import { mulberry32, uniform } from '../models/mulberry32.js';
import { counting, linearModel } from './fixtures.js';

const F = 6;
const MEANS = [-0.01, 0.001, 0.02] as const;

describe('occlusion on a real ONNX linear model', () => {
  const lin = linearModel(3, F);
  let rt: ModelRuntime & { calls: number[] };
  beforeAll(async () => {
    rt = counting(await createOnnxRuntime({ bytes: lin.onnx }, { thread: 'main' }));
  });
  afterAll(async () => {
    await rt.dispose();
  });

  it('gives (x_j − ref_j)·Σ_k μ_k W_jk per feature, from one run of B × (1 + F) rows', async () => {
    const B = 4;
    const rng = mulberry32(11);
    const rows = uniform(rng, B * F, -2, 2);
    const refs = Array.from({ length: B }, () => uniform(rng, F, -0.5, 0.5));
    const calls = rt.calls.length;
    const { probs, contributions } = await occlude(rt, 0, rows, B, F, refs, MEANS);
    expect(rt.calls.slice(calls)).toEqual([B * (1 + F)]);
    for (let i = 0; i < B; i++) {
      for (let k = 0; k < 3; k++) {
        let y = lin.bias[k] as number;
        for (let j = 0; j < F; j++) y += (rows[i * F + j] as number) * (lin.weights[j * 3 + k] as number);
        expect(probs[i * 3 + k]).toBeCloseTo(y, 5);
      }
      for (let j = 0; j < F; j++) {
        let slope = 0;
        for (let k = 0; k < 3; k++) slope += MEANS[k] * (lin.weights[j * 3 + k] as number);
        const exact = ((rows[i * F + j] as number) - (refs[i]?.[j] as number)) * slope;
        expect(contributions[i * F + j]).toBeCloseTo(exact, 6);
      }
    }
  });

  it('gives zero attribution to a feature already at its reference', async () => {
    const rows = new Float32Array([0.5, -1, 2, 0.25, 0, 1]);
    const ref = Float64Array.from(rows);
    ref[2] = 0;
    const { contributions } = await occlude(rt, 0, rows, 1, F, [ref], MEANS);
    expect(Array.from(contributions).map((c, j) => (j === 2 ? c !== 0 : c === 0))).toEqual([true, true, true, true, true, true]);
  });
});

describe('top attributions', () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  it('ranks by magnitude, largest first, keeping the sign', () => {
    expect(topAttributions(new Float64Array([0.1, -0.5, 0.3, 0, -0.2]), names, 3)).toEqual([
      { feature: 'b', contribution: -0.5 },
      { feature: 'c', contribution: 0.3 },
      { feature: 'e', contribution: -0.2 },
    ]);
  });
  it('keeps spec order among equal magnitudes and caps k at the feature count', () => {
    expect(topAttributions(new Float64Array([0.2, -0.2, 0.2, 0.1, 0.2]), names, 2).map((a) => a.feature)).toEqual(['a', 'b']);
    expect(topAttributions(new Float64Array([1, 2, 3, 4, 5]), names, 9).map((a) => a.feature)).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(topAttributions(new Float64Array([1, 2, 3, 4, 5]), names, 0)).toEqual([]);
  });
  it('leaves out a contribution that is not a number (a model answering an occluded row with NaN or Infinity)', () => {
    expect(topAttributions(new Float64Array([Number.NaN, 0.1, Number.POSITIVE_INFINITY, -0.3, 0]), names, 3)).toEqual([
      { feature: 'd', contribution: -0.3 },
      { feature: 'b', contribution: 0.1 },
      { feature: 'e', contribution: 0 },
    ]);
    expect(topAttributions(new Float64Array([Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN]), names, 3)).toEqual([]);
  });
});

describe('running baseline', () => {
  it('starts at the initial reference and halves an old row’s weight every half-life, per asset', () => {
    const b = createRunningBaseline(2, { halfLifeRows: 1, initial: [1, -1] });
    expect(Array.from(b.get('x'))).toEqual([1, -1]);
    b.update('x', new Float32Array([3, 3]), 0);
    expect(Array.from(b.get('x'))).toEqual([2, 1]);
    b.update('x', new Float32Array([0, 0, 2, 1]), 2);
    expect(Array.from(b.get('x'))).toEqual([2, 1]);
    expect(Array.from(b.get('y'))).toEqual([1, -1]);
    expect(b.rows('x')).toBe(2);
    expect(b.rows('y')).toBe(0);
  });

  it('restores from its JSON state and continues bit-identically', () => {
    const rng = mulberry32(5);
    const a = createRunningBaseline(3, { halfLifeRows: 7 });
    const rows = uniform(rng, 300);
    for (let i = 0; i < 50; i++) a.update(i % 2 === 0 ? 'p' : 'q', rows, i * 3);
    const b = createRunningBaseline(3, { halfLifeRows: 7 }, JSON.parse(JSON.stringify(a.toState())));
    for (let i = 50; i < 100; i++) {
      a.update(i % 2 === 0 ? 'p' : 'q', rows, i * 3);
      b.update(i % 2 === 0 ? 'p' : 'q', rows, i * 3);
    }
    expect(b.toState()).toEqual(a.toState());
    expect(() => createRunningBaseline(4, { halfLifeRows: 7 }, a.toState())).toThrow(/does not fit/);
  });
});
