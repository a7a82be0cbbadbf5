import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ensureDemoModel } from '../../cli/commands/demo-model.js';
import { runTrain, runTrainDirection } from '../../cli/commands/train.js';
import type { TrainCliOptions } from '../../cli/commands/train.js';
import { between, inTrainingScope, yearsBefore } from '../../cli/commands/training-shortfall.js';
import { testDataDir } from '../support/data-dir.js';
import { tinyRegistry } from '../training/tiny-registry.js';

/**
 * The trainers refuse fewer than 200 labelled rows with "only N labelled rows (after a 200-bar
 * warm-up); give more bars". `sextant backtest` said which bars it had searched (commit 378abd8);
 * `sextant train` and the demo's model (`ensureDemoModel`) now say so too, through the same code.
 */
describe('too few labelled rows to train on', () => {
  const scope = { model: 'direction-mlp', timeframe: '1h', symbols: ['BTC/USDT', 'ETH/USDT'], searched: yearsBefore(3, Date.UTC(2020, 5, 1)), dataDir: '/data', hint: 'give a later --from' };

  it('names the model, timeframe, symbols, span, data folder and what to change; other errors pass as they are', () => {
    const e = inTrainingScope(new RangeError('only 12 labelled rows (after a 200-bar warm-up); give more bars'), scope);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toBe(
      'cannot train direction-mlp on the 1h bars of BTC/USDT, ETH/USDT in the three years before 2020-06-01T00:00:00.000Z under /data: only 12 labelled rows (after a 200-bar warm-up); give a later --from',
    );
    const other = new RangeError('the fit segment is empty; give more bars or change the fractions');
    expect(inTrainingScope(other, scope)).toBe(other);
    expect(between(undefined, Date.UTC(2024, 0, 1))).toBe('from the beginning → 2024-01-01T00:00:00.000Z');
    expect(between(Date.UTC(2024, 0, 1), undefined)).toBe('from 2024-01-01T00:00:00.000Z → the end');
  });

  const OPTS: TrainCliOptions = { data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', horizon: 4, kAtr: 0.75, seed: 1, epochs: 1, from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 11) };

  it('sextant train: a window of 240 bars says which bars it searched and to widen --from/--to', async () => {
    const registry = tinyRegistry();
    const expected =
      /^cannot train direction-mlp on the 1h bars of BTC\/USDT from 2024-01-01T00:00:00\.000Z → 2024-01-11T00:00:00\.000Z under .*: only \d+ labelled rows \(after a 200-bar warm-up\), fewer than the 200 needed to train: .*; give a wider --from\/--to window \(or leave them out for all the data\)$/;
    await expect(runTrain(OPTS, () => Promise.resolve(registry), () => undefined)).rejects.toThrow(expected);
    await expect(runTrainDirection({ ...OPTS, model: 'gru', window: 4 }, () => Promise.resolve(registry), () => undefined)).rejects.toThrow(
      /^cannot train direction-gru on the 1h bars of BTC\/USDT from 2024-01-01T00:00:00\.000Z → 2024-01-11T00:00:00\.000Z under .*: only \d+ labelled rows/,
    );
    expect(await registry.list()).toEqual([]);
  });

  it("the demo's model: a window at the start of the data (1h bars begin 2020-05-11) says there are no years before it to train on", async () => {
    const registry = tinyRegistry();
    await expect(ensureDemoModel(registry, { name: 'direction-mlp', dataDir: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2020, 4, 15), retrain: true })).rejects.toThrow(
      /^cannot train direction-mlp on the 1h bars of BTC\/USDT in the three years before 2020-05-15T00:00:00\.000Z under .*: only 0 labelled rows \(after a 200-bar warm-up\), fewer than the 200 needed to train: .*; give a later --from \(the data must hold bars before it\)$/,
    );
  });
});
