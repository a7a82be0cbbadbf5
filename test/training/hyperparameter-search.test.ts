import { describe, expect, it } from 'vitest';
import { stoppingPoint, earlyStopping } from '../../models/training/early-stopping.js';
import { runSearch } from '../../models/training/hyperparameter-search.js';
import { randomSampler } from '../../models/training/random-search.js';
import type { Params, Sampler, SearchSpace } from '../../models/training/search-space.js';
import { tpeSampler } from '../../models/training/tpe-sampler.js';

const num = (p: Params, k: string): number => p[k] as number;

/** Mean best loss over seeds 1…n with the same trial budget. */
async function meanBest(space: SearchSpace, f: (p: Params) => number, make: (seed: number) => Sampler, trials: number, seeds: number): Promise<number> {
  let sum = 0;
  for (let s = 1; s <= seeds; s++) {
    const r = await runSearch({ space, sampler: make(s), trials, objective: (p) => Promise.resolve({ loss: f(p) }) });
    sum += r.best.loss;
  }
  return sum / seeds;
}

describe('early stopping', () => {
  it('stops `patience` epochs after the best on a hand-built loss curve', () => {
    //            1    2    3    4     5     6     7    8    9
    const curve = [1.0, 0.8, 0.7, 0.65, 0.66, 0.64, 0.7, 0.7, 0.69, 0.5];
    expect(stoppingPoint(curve, 3)).toEqual({ stopEpoch: 9, bestEpoch: 6, stopped: true });
    expect(stoppingPoint(curve, 1)).toEqual({ stopEpoch: 5, bestEpoch: 4, stopped: true });
    // A minimum improvement: 0.64 is not 0.02 below 0.65, so epoch 4 stays best.
    expect(stoppingPoint(curve, 3, 0.02)).toEqual({ stopEpoch: 7, bestEpoch: 4, stopped: true });
    expect(stoppingPoint(curve, 5)).toEqual({ stopEpoch: 10, bestEpoch: 10, stopped: false });
  });

  it('never counts NaN as an improvement and refuses a zero patience', () => {
    expect(stoppingPoint([0.5, Number.NaN, Number.NaN], 2)).toEqual({ stopEpoch: 3, bestEpoch: 1, stopped: true });
    expect(() => earlyStopping(0)).toThrow(RangeError);
  });
});

describe('hyper-parameter search', () => {
  const space1: SearchSpace = { x: { kind: 'uniform', low: -10, high: 10 } };
  const f1 = (p: Params): number => (num(p, 'x') - 3.3) ** 2;
  const space2: SearchSpace = { lr: { kind: 'log-uniform', low: 1e-5, high: 1 }, units: { kind: 'int', low: 1, high: 64 }, act: { kind: 'categorical', choices: ['relu', 'tanh', 'elu'] } };
  // Optimum at lr = 1e-2.5, units = 40, act = tanh.
  const f2 = (p: Params): number => (Math.log10(num(p, 'lr')) + 2.5) ** 2 + ((num(p, 'units') - 40) / 16) ** 2 + (p['act'] === 'tanh' ? 0 : 0.5);

  it('is deterministic for a seed and stays inside the space', async () => {
    const a = await runSearch({ space: space2, sampler: tpeSampler({ seed: 4 }), trials: 25, objective: (p) => Promise.resolve({ loss: f2(p) }) });
    const b = await runSearch({ space: space2, sampler: tpeSampler({ seed: 4 }), trials: 25, objective: (p) => Promise.resolve({ loss: f2(p) }) });
    expect(b.trials).toEqual(a.trials);
    for (const t of a.trials) {
      expect(num(t.params, 'lr')).toBeGreaterThanOrEqual(1e-5);
      expect(num(t.params, 'lr')).toBeLessThanOrEqual(1);
      expect(Number.isInteger(num(t.params, 'units'))).toBe(true);
      expect(['relu', 'tanh', 'elu']).toContain(t.params['act']);
    }
    expect(a.best.loss).toBe(Math.min(...a.trials.map((t) => t.loss)));
  });

  it('TPE finds a better optimum than random search with the same budget (1-D and mixed 3-D, mean over 12 seeds)', async () => {
    const tpe1 = await meanBest(space1, f1, (s) => tpeSampler({ seed: s }), 40, 12);
    const rnd1 = await meanBest(space1, f1, (s) => randomSampler(s), 40, 12);
    const tpe2 = await meanBest(space2, f2, (s) => tpeSampler({ seed: s }), 50, 12);
    const rnd2 = await meanBest(space2, f2, (s) => randomSampler(s), 50, 12);
    console.log(`mean best over 12 seeds: 1-D tpe ${tpe1.toExponential(2)} random ${rnd1.toExponential(2)}; 3-D tpe ${tpe2.toFixed(4)} random ${rnd2.toFixed(4)}`);
    expect(tpe1).toBeLessThan(rnd1 / 2);
    expect(tpe2).toBeLessThan(0.75 * rnd2);
  });

  it('records a throwing objective as a failed trial and keeps searching', async () => {
    const r = await runSearch({
      space: space1,
      sampler: randomSampler(1),
      trials: 6,
      objective: (p, i) => (i === 2 ? Promise.reject(new Error('diverged')) : Promise.resolve({ loss: f1(p) })),
    });
    expect(r.trials).toHaveLength(6);
    expect(r.trials[2]).toMatchObject({ loss: Infinity, detail: { error: 'diverged' } });
    expect(Number.isFinite(r.best.loss)).toBe(true);
  });
});
