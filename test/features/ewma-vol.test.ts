import { describe, expect, it } from 'vitest';
import { EwmaVol, RISKMETRICS_LAMBDA } from '../../models/features/ewma-vol.js';

describe('EwmaVol (RiskMetrics)', () => {
  it('uses λ = 0.94 by default', () => {
    expect(new EwmaVol().lambda).toBe(0.94);
    expect(RISKMETRICS_LAMBDA).toBe(0.94);
  });

  it('is null before the first return, then σ = |r₁|', () => {
    const v = new EwmaVol();
    expect(v.value).toBeNull();
    v.update(-0.01);
    expect(v.value).toBeCloseTo(0.01, 15);
  });

  it('follows σ²_t = 0.94·σ²_{t−1} + 0.06·r_t² (hand-computed)', () => {
    const v = new EwmaVol();
    v.update(0.01); // σ² = 1e-4
    v.update(-0.02); // σ² = 0.94e-4 + 0.06·4e-4 = 1.18e-4
    expect(v.value).toBeCloseTo(Math.sqrt(1.18e-4), 15);
    expect(v.value).toBeCloseTo(0.0108627805, 10);
    v.update(0); // σ² = 0.94·1.18e-4 = 1.1092e-4
    expect(v.value).toBeCloseTo(Math.sqrt(1.1092e-4), 15);
    v.update(0.05); // σ² = 0.94·1.1092e-4 + 0.06·25e-4 = 1.042648e-4 + 1.5e-4 = 2.542648e-4
    expect(v.value).toBeCloseTo(Math.sqrt(2.542648e-4), 15);
  });

  it('decays towards zero on a flat market at rate √λ per bar', () => {
    const v = new EwmaVol();
    v.update(0.03);
    for (let i = 0; i < 10; i++) v.update(0);
    expect(v.value).toBeCloseTo(0.03 * Math.sqrt(0.94 ** 10), 15);
  });

  it('rejects λ outside (0, 1)', () => {
    expect(() => new EwmaVol(1)).toThrow(RangeError);
    expect(() => new EwmaVol(0)).toThrow(RangeError);
  });
});
