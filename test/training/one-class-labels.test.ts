import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { inTrainingScope } from '../../cli/commands/training-shortfall.js';
import { buildBarDataset } from '../../models/training/bar-dataset.js';
import { OneClassLabelsError, requireTwoClasses } from '../../models/training/label-classes.js';
import { trainBaseline } from '../../models/training/train-baseline.js';
import { trainDirectionModel } from '../../models/training/train-direction-model.js';
import { randomWalkBars } from './synthetic-bars.js';
import { tinyRegistry } from './tiny-registry.js';

/**
 * `sextant train --k-atr 1e9` labelled every row flat, fitted, reported test accuracy 100% (the
 * test segment was all flat too) and registered a model that can only say "flat". A flat band
 * that leaves the training rows one class is refused before any fit, naming the class counts.
 */
describe('training on labels of one class', () => {
  const bars = [{ symbol: 'SYN/USDT', bars: randomWalkBars(1200, 7) }];
  const dataset = { source: 'synthetic', symbols: ['SYN/USDT'] };
  const options = { name: 'one-class', timeframe: '1h', barMs: 3_600_000, horizon: 4, kAtr: 1e9, seed: 1, epochs: 1 };

  it('the baseline trainer refuses it and registers nothing', async () => {
    const registry = tinyRegistry();
    await expect(trainBaseline(bars, dataset, options, registry)).rejects.toThrow(OneClassLabelsError);
    await expect(trainBaseline(bars, dataset, options, registry)).rejects.toThrow(/training rows are all labelled flat \(down 0, flat \d+, up 0\) with a flat band of ±1000000000·ATR14 over 4 bars/);
    expect(await registry.list()).toEqual([]);
  });

  it('the search/selection trainer refuses it before starting a training job', async () => {
    const registry = tinyRegistry();
    await expect(trainDirectionModel(bars, dataset, { ...options, model: 'mlp', search: 'none' }, registry, { thread: 'main' })).rejects.toThrow(OneClassLabelsError);
    expect(await registry.list()).toEqual([]);
  });

  it('sextant train says it in the command\'s scope, as an argument error', () => {
    const e = inTrainingScope(new OneClassLabelsError('the 900 training rows are all labelled flat'), {
      model: 'direction-mlp', timeframe: '1h', symbols: ['BTC/USDT'], searched: 'from the beginning → the end', dataDir: '/data', hint: 'give a wider --from/--to window',
    });
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toBe('cannot train direction-mlp on the 1h bars of BTC/USDT from the beginning → the end under /data: the 900 training rows are all labelled flat');
  });

  it('takes two classes, whatever their balance', () => {
    const ds = buildBarDataset(bars, { horizon: 4, kAtr: 0.75, barMs: 3_600_000 });
    expect(() => requireTwoClasses(ds.y, Int32Array.from(ds.y.keys()), { horizon: 4, kAtr: 0.75 })).not.toThrow();
    expect(() => requireTwoClasses(Int32Array.of(0, 0, 0, 2), Int32Array.of(0, 1, 2, 3), { horizon: 4, kAtr: 0.75 })).not.toThrow();
    expect(() => requireTwoClasses(Int32Array.of(2, 2), Int32Array.of(0, 1), { horizon: 1, kAtr: 0 })).toThrow('all labelled up (down 0, flat 0, up 2)');
  });
});
