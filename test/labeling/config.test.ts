import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';

describe('labeling config', () => {
  it('default.yaml holds the documented defaults', () => {
    expect(loadConfig().labeling).toEqual(DEFAULT_LABEL_SPEC);
  });
  it('refuses a bad section with the key that is wrong, and takes environment overrides', () => {
    expect(() => loadConfig({ overrides: { labeling: { stopLossAtr: -1 } } })).toThrow(/labeling\.stopLossAtr/);
    expect(loadConfig({ env: { SEXTANT__labeling__costBps: '35' } }).labeling.costBps).toBe(35);
  });
});
