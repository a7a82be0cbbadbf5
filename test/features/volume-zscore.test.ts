import { describe, expect, it } from 'vitest';
import { VolumeZScore } from '../../models/features/volume-zscore.js';

describe('VolumeZScore', () => {
  it('uses a 20-bar window by default and is null until it is full', () => {
    const z = new VolumeZScore();
    expect(z.period).toBe(20);
    for (let i = 1; i < 20; i++) {
      z.update(i);
      expect(z.value).toBeNull();
    }
    // Volumes 1..20: mean 10.5, population variance (n²−1)/12 = 33.25.
    z.update(20);
    expect(z.value).toBeCloseTo(9.5 / Math.sqrt(33.25), 14);
  });

  it('hand-computed on a 4-bar window, rolling', () => {
    const z = new VolumeZScore(4);
    [1, 2, 3].forEach((v) => z.update(v));
    z.update(4); // mean 2.5, var (2.25+0.25+0.25+2.25)/4 = 1.25
    expect(z.value).toBeCloseTo(1.5 / Math.sqrt(1.25), 14); // 1.3416407865
    expect(z.value).toBeCloseTo(1.3416407865, 9);
    z.update(0); // window 2,3,4,0: mean 2.25, var (0.0625+0.5625+3.0625+5.0625)/4 = 2.1875
    expect(z.value).toBeCloseTo(-2.25 / Math.sqrt(2.1875), 14);
  });

  it('is 0 on a flat window, not ±1 from rounding noise', () => {
    const z = new VolumeZScore(20);
    for (let i = 0; i < 45; i++) z.update(0.1);
    expect(z.value).toBe(0);
    const zero = new VolumeZScore(5);
    for (let i = 0; i < 5; i++) zero.update(0);
    expect(zero.value).toBe(0);
  });

  it('stays accurate for huge volumes with small variation (no cancellation)', () => {
    // PEPE trades ~1e11 units per hour; Σx² − (Σx)²/n would lose every digit here.
    const z = new VolumeZScore(4);
    [1e11 + 1, 1e11 + 2, 1e11 + 3, 1e11 + 4].forEach((v) => z.update(v));
    expect(z.value).toBeCloseTo(1.5 / Math.sqrt(1.25), 6);
  });
});
