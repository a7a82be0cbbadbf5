import { describe, expect, it } from 'vitest';
import { classificationMetrics } from '../../models/training/classification-metrics.js';
import { assetClassOf, baseAsset } from '../../models/validation/asset-class.js';
import { metricsByAssetClass } from '../../models/validation/grouped-metrics.js';

// Four rows, three classes (down, flat, up).
const probs = [0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.1, 0.1, 0.8, 0.3, 0.4, 0.3];
const y = [0, 2, 2, 1];

describe('classificationMetrics', () => {
  it('log loss, Brier, accuracy and recall by hand', () => {
    const m = classificationMetrics(probs, y, 3);
    // Brier: (0.09+0.04+0.01) + (0.04+0.25+0.49) + (0.01+0.01+0.04) + (0.09+0.36+0.09) = 1.52
    expect(m.brier).toBeCloseTo(1.52 / 4, 12);
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.7) + Math.log(0.3) + Math.log(0.8) + Math.log(0.4)) / 4, 12);
    expect(m.accuracy).toBe(0.75);
    expect(m.recall).toEqual([1, 1, 0.5]);
    expect(m.support).toEqual([1, 1, 2]);
  });

  it('a perfect one-hot forecast has Brier 0, a confident miss 2', () => {
    expect(classificationMetrics([0, 1, 0], [1], 3).brier).toBe(0);
    expect(classificationMetrics([1, 0, 0], [2], 3).brier).toBe(2);
  });
});

describe('asset classes', () => {
  it('classifies bases', () => {
    expect(baseAsset('1000PEPE/USDT:USDT')).toBe('PEPE');
    expect(['BTC/USDT', 'ETH-USDT', 'DOGE/USDT', 'SHIB/USDT', 'PEPE/USDT', 'SOL/USDT', 'XRP/USDT'].map(assetClassOf)).toEqual([
      'large-cap',
      'large-cap',
      'memecoin',
      'memecoin',
      'memecoin',
      'other',
      'other',
    ]);
  });

  it('recall per asset class exposes what the pooled figure hides', () => {
    const by = metricsByAssetClass(probs, y, 3, ['BTC/USDT', 'DOGE/USDT', 'SOL/USDT', 'PEPE/USDT']);
    expect([...by.keys()]).toEqual(['large-cap', 'memecoin', 'other']);
    expect(by.get('large-cap')!.recall).toEqual([1, null, null]);
    expect(by.get('memecoin')!.recall).toEqual([null, 1, 0]);
    expect(by.get('memecoin')!.accuracy).toBe(0.5);
    expect(by.get('memecoin')!.brier).toBeCloseTo((0.78 + 0.54) / 2, 12);
    expect(by.get('other')!.recall).toEqual([null, null, 1]);
  });
});
