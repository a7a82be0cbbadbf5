import { describe, expect, it } from 'vitest';
import { buildBarDataset } from '../../models/training/bar-dataset.js';
import { requireTrainingRows } from '../../models/training/too-few-rows.js';
import { trainBaseline } from '../../models/training/train-baseline.js';
import { trainDirectionModel } from '../../models/training/train-direction-model.js';
import { randomWalkBars } from './synthetic-bars.js';
import { tinyRegistry } from './tiny-registry.js';

/**
 * The trainers refused a short dataset with "only 147 labelled rows (after a 200-bar warm-up);
 * give more bars", saying neither how many rows they need nor how many bars make them.
 */
describe('too few labelled rows to train on', () => {
  const dataset = { source: 'synthetic', symbols: ['SYN/USDT'] };
  const options = { name: 'short', timeframe: '1h', barMs: 3_600_000, horizon: 4, kAtr: 0.75, seed: 1, epochs: 1 };
  const short = [{ symbol: 'SYN/USDT', bars: randomWalkBars(350, 7) }];
  const said =
    'only 147 labelled rows (after a 200-bar warm-up), fewer than the 200 needed to train: of the 350 bars given, 199 went to the features\' warm-up and 4 have no label ' +
    "(each symbol's last 4, the label horizon, and any before a gap), so one symbol alone needs at least 403 bars without gaps; give more bars";

  it('says how many rows are needed and how many bars make them, in both trainers, registering nothing', async () => {
    const registry = tinyRegistry();
    await expect(trainBaseline(short, dataset, options, registry)).rejects.toThrow(said);
    await expect(trainDirectionModel(short, dataset, { ...options, model: 'mlp', search: 'none' }, registry, { thread: 'main' })).rejects.toThrow(said);
    expect(await registry.list()).toEqual([]);
  });

  it('the bars it names are enough: 403 bars of one symbol pass, 402 do not', () => {
    const bars = randomWalkBars(403, 7);
    const ds = (n: number) => buildBarDataset([{ symbol: 'SYN/USDT', bars: bars.slice(0, n) }], { horizon: 4, kAtr: 0.75, barMs: 3_600_000 });
    expect(() => requireTrainingRows(ds(403))).not.toThrow();
    expect(() => requireTrainingRows(ds(402))).toThrow(/^only 199 labelled rows .* at least 403 bars without gaps; give more bars$/);
  });
});
