import { describe, expect, it } from 'vitest';
import { attributionsText, modelText } from '../../../gateways/dashboard/src/prediction-view.js';

describe('dashboard predictions: model and feature attributions', () => {
  it('names the model version and the largest attributions, by size, signed, in bp of expected return', () => {
    expect(modelText({ name: 'direction-mlp', version: 2 })).toBe('direction-mlp@2');
    const attributions = [
      { feature: 'ret_1', contribution: 0.00004 },
      { feature: 'rsi_14', contribution: -0.00123 },
      { feature: 'vol_24', contribution: 0.000512 },
      { feature: 'hour_sin', contribution: -0.0000001 },
    ];
    expect(attributionsText(attributions)).toBe('rsi_14 -12.3 · vol_24 +5.1 · ret_1 +0.4');
    expect(attributionsText([])).toBe('–');
  });
});
