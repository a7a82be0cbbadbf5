import { describe, expect, it } from 'vitest';
import { psi, psiReference } from '../../models/retraining/psi.js';
import { DEFAULT_RETRAINING_CONFIG, RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { afterTraining, createTriggerState, driftOf, firedTrigger, observe, withReference } from '../../models/retraining/triggers.js';
import type { TriggerConfig, TriggerState } from '../../models/retraining/triggers.js';
import { gaussian, mulberry } from './synthetic.js';

const base: TriggerConfig = { ...DEFAULT_RETRAINING_CONFIG.triggers, adwinDelta: 0 };
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

function feed(s0: TriggerState, cfg: TriggerConfig, n: number, row: (i: number) => { logLoss: number; hit: boolean; features?: number[] }, from = 0): { s: TriggerState; firedAt: number | null; kind: string | null } {
  let s = s0;
  for (let i = from; i < from + n; i++) {
    const r = row(i);
    const ts = T0 + i * HOUR;
    s = observe(s, { ts, logLoss: r.logLoss, hit: r.hit, features: r.features ?? null }, cfg);
    const f = firedTrigger(s, ts, cfg);
    if (f !== null) return { s, firedAt: i, kind: f.kind };
  }
  return { s, firedAt: null, kind: null };
}

describe('retraining triggers', () => {
  it('schedule: fires after every N labels, and after N ms of event time', () => {
    const byCount = { ...base, everyLabels: 50 };
    const a = feed(createTriggerState(byCount), byCount, 200, () => ({ logLoss: 0.9, hit: true }));
    expect([a.firedAt, a.kind]).toEqual([49, 'schedule']);
    const again = feed(afterTraining(a.s, T0 + 49 * HOUR, byCount), byCount, 200, () => ({ logLoss: 0.9, hit: true }), 50);
    expect(again.firedAt).toBe(99);

    const byTime = { ...base, everyMs: 24 * HOUR };
    const b = feed(createTriggerState(byTime), byTime, 200, () => ({ logLoss: 0.9, hit: true }));
    expect([b.firedAt, b.kind]).toEqual([24, 'schedule']);
  });

  it('decay: fires when the rolling log loss of the last K labels passes the threshold, not on a good model', () => {
    const cfg = { ...base, decayWindow: 100, maxLogLoss: 1.05 };
    const good = feed(createTriggerState(cfg), cfg, 500, () => ({ logLoss: 0.95, hit: true }));
    expect(good.firedAt).toBeNull();
    // From label 300 on the model is wrong (loss 1.4): the mean of the last 100 passes 1.05 when > 100·(1.05−0.95)/(1.4−0.95) ≈ 22.2 bad ones.
    const bad = feed(createTriggerState(cfg), cfg, 500, (i) => ({ logLoss: i < 300 ? 0.95 : 1.4, hit: i < 300 }));
    expect([bad.firedAt, bad.kind]).toEqual([322, 'decay']);
    const hr = { ...cfg, maxLogLoss: 5, minHitRate: 0.5 };
    const lowHits = feed(createTriggerState(hr), hr, 500, (i) => ({ logLoss: 1, hit: i < 300 || i % 4 === 0 }));
    expect(lowHits.kind).toBe('decay');
    expect(lowHits.firedAt).toBeGreaterThan(300);
    expect(lowHits.firedAt).toBeLessThan(380);
  });

  it('PSI: about 0 for the same distribution, > 0.25 for a shifted one', () => {
    const g = gaussian(mulberry(5));
    const ref = Array.from({ length: 2000 }, () => g());
    const r = psiReference(ref, 10);
    expect(r.edges.length).toBe(9);
    expect(psi(r, Array.from({ length: 1000 }, () => g()))).toBeLessThan(0.05);
    expect(psi(r, Array.from({ length: 1000 }, () => g() + 1))).toBeGreaterThan(0.25);
  });

  it('drift: fires on the feature whose recent window shifted against the training-range reference', () => {
    const cfg = { ...base, psiWindow: 200, psiThreshold: 0.25 };
    const g = gaussian(mulberry(9));
    const refRows = Array.from({ length: 1000 }, () => [g(), g()]);
    const s0 = withReference(createTriggerState(cfg), ['rsi_14', 'ret_1'], refRows, cfg);
    const stable = feed(s0, cfg, 600, () => ({ logLoss: 1, hit: true, features: [g(), g()] }));
    expect(stable.firedAt).toBeNull();
    expect(driftOf(stable.s)['rsi_14']).toBeLessThan(0.2); // sampling noise of 200 rows in 10 bins is ~0.05–0.12
    const shifted = feed(s0, cfg, 600, (i) => ({ logLoss: 1, hit: true, features: [g(), i < 300 ? g() : g() * 0.3 + 1.5] }));
    expect(shifted.kind).toBe('drift');
    expect(shifted.firedAt).toBeGreaterThan(300);
    expect(shifted.firedAt).toBeLessThan(400);
    expect(firedTrigger(shifted.s, 0, cfg)?.detail).toMatch(/PSI of ret_1/);
  });

  it('ADWIN: fires when the production model’s miss rate jumps (0.3 → 0.8 at label 800)', () => {
    const cfg = { ...base, adwinDelta: 0.002, decayWindow: 10_000 };
    const rnd = mulberry(21);
    const r = feed(createTriggerState(cfg), cfg, 2000, (i) => ({ logLoss: 1, hit: rnd() >= (i < 800 ? 0.3 : 0.8) }));
    expect(r.kind).toBe('adwin');
    expect(r.firedAt).toBeGreaterThanOrEqual(800);
    expect(r.firedAt).toBeLessThan(900);
  });

  it('the config accepts only the ADWIN confidences the trigger state can be built with (0 = off, else below 1)', () => {
    for (const adwinDelta of [0, 0.002, 0.5]) expect(() => createTriggerState(RetrainingConfigSchema.parse({ triggers: { adwinDelta } }).triggers)).not.toThrow();
    expect(RetrainingConfigSchema.safeParse({ triggers: { adwinDelta: 1 } }).success).toBe(false);
  });
});
