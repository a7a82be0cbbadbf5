import { describe, expect, it } from 'vitest';
import { addShadow, addWatch, addWatchAnchor, addWatchPair, judgeShadow, judgeWatch, shadowT, startShadow, startWatch, watchedMs } from '../../models/retraining/shadow-evaluation.js';
import type { RollbackRule, RollbackWatch } from '../../models/retraining/shadow-evaluation.js';
import type { ShadowStats } from '../../models/retraining/shadow-evaluation.js';
import { scoreRow } from '../../models/retraining/scoring.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 1);
const champ = { name: 'dir', version: 1 };
const chall = { name: 'dir', version: 2 };
const shadowOf = (pairs: readonly (readonly [number, number])[], blockLabels = 20): ShadowStats =>
  pairs.reduce((s, [a, b]) => addShadow(s, { champion: { logLoss: a, hit: true }, challenger: { logLoss: b, hit: true } }, blockLabels), startShadow(champ, chall));
/** The margin alone (no significance check), as before `minT`. */
const marginOnly = (predictions: number, margin: number) => ({ predictions, margin, blockLabels: 20, minT: 0 });

describe('shadow evaluation and rollback watch', () => {
  it('waits for the configured number of shared labels', () => {
    expect(judgeShadow(shadowOf(new Array(99).fill([1, 0.5])), marginOnly(100, 0.01))).toEqual({ kind: 'pending', n: 99 });
  });

  it('rejects a challenger equal to the champion (even at margin 0) and one better by less than the margin', () => {
    const equal = shadowOf(new Array(100).fill([0.9, 0.9]));
    expect(judgeShadow(equal, marginOnly(100, 0.01)).kind).toBe('reject');
    expect(judgeShadow(equal, marginOnly(100, 0)).kind).toBe('reject');
    const slightly = shadowOf(new Array(100).fill([0.9, 0.895]));
    expect(judgeShadow(slightly, marginOnly(100, 0.01)).kind).toBe('reject');
  });

  it('promotes a challenger better by more than the margin on the same predictions', () => {
    const v = judgeShadow(shadowOf(new Array(100).fill([0.9, 0.85])), marginOnly(100, 0.01));
    expect(v.kind).toBe('promote');
    if (v.kind === 'promote') {
      expect(v.championLogLoss).toBeCloseTo(0.9, 10);
      expect(v.challengerLogLoss).toBeCloseTo(0.85, 10);
    }
  });

  it('with minT, promotes only an improvement past the margin that the spread of its block means makes unlikely to be luck', () => {
    const rule = { predictions: 200, margin: 0.01, blockLabels: 20, minT: 2 };
    // A steady improvement of 0.05 per label (±0.1 noise that cancels within each block): promoted.
    const steady = shadowOf(Array.from({ length: 200 }, (_, i) => [1, 0.95 + (i % 2 === 0 ? 0.1 : -0.1)] as const));
    expect(steady.blocks).toEqual({ openSum: 0, openN: 0, n: 10, sum: expect.closeTo(0.5, 9) as number, sumSq: expect.closeTo(0.025, 9) as number });
    expect(shadowT(steady.blocks ?? { openSum: 0, openN: 0, n: 0, sum: 0, sumSq: 0 }, 0.01)).toBe(Number.POSITIVE_INFINITY);
    expect(judgeShadow(steady, rule).kind).toBe('promote');
    // The same mean improvement (0.05) from one lucky stretch: the first block gains 1.0 a label, the
    // other nine lose 0.0556 — mean 0.05 > margin, but t = 0.04 / (sd 0.333 / √10) = 0.38 < 2: rejected.
    const lucky = shadowOf(Array.from({ length: 200 }, (_, i) => [1, i < 20 ? 0 : 1 + 1 / 18] as const));
    expect(lucky.championLoss / lucky.n - lucky.challengerLoss / lucky.n).toBeCloseTo(0.05, 9);
    const t = shadowT(lucky.blocks ?? { openSum: 0, openN: 0, n: 0, sum: 0, sumSq: 0 }, 0.01);
    expect(t).toBeCloseTo(0.04 / (Math.sqrt((Math.pow(1 - 0.05, 2) + 9 * Math.pow(-1 / 18 - 0.05, 2)) / 9) / Math.sqrt(10)), 9);
    const v = judgeShadow(lucky, rule);
    expect(v.kind).toBe('reject');
    if (v.kind === 'reject') expect(v.reason).toMatch(/t 0\.38 over 10 blocks of 20 \(min 2\)/);
    // The margin alone promotes it.
    expect(judgeShadow(lucky, { ...rule, minT: 0 }).kind).toBe('promote');
    // Fewer than two closed blocks cannot show anything: rejected.
    expect(judgeShadow(shadowOf(new Array(30).fill([1, 0.5])), { ...rule, predictions: 30 }).kind).toBe('reject');
  });

  it('a watch restored from an older snapshot (unpaired) keeps its rule: rolling log loss against the recorded one', () => {
    const cfg = { watchLabels: 200, minLabels: 50, margin: 0.02, minT: 2, watchMs: 30 * DAY };
    // As such a snapshot holds it: no pairing, no times (its watch ends on the label count).
    const legacy = (): RollbackWatch => {
      const { paired: _paired, since: _since, lastTs: _lastTs, ...w } = startWatch('dir', 2, 1, 0.9, T0);
      return w;
    };
    let w = legacy();
    for (let i = 0; i < 49; i++) w = addWatch(w, 1.2, cfg.minLabels, T0 + i * HOUR);
    expect(judgeWatch(w, cfg).kind).toBe('watching'); // too few labels to judge
    w = addWatch(w, 1.2, cfg.minLabels, T0 + 49 * HOUR);
    const v = judgeWatch(w, cfg);
    expect(v.kind).toBe('rollback');
    let ok = legacy();
    for (let i = 0; i < 200; i++) ok = addWatch(ok, 0.91, cfg.minLabels, T0 + i * HOUR);
    expect(ok.since).toBeUndefined();
    expect(judgeWatch(ok, cfg).kind).toBe('cleared');
  });

  describe('paired watch: the previous champion scored beside the promoted model on the same labels', () => {
    const cfg = { watchLabels: 200, minLabels: 50, margin: 0.02, minT: 2, watchMs: 0 };
    const BLOCK = 20;
    /** One label an hour from T0 + 1 h, the promotion at T0. */
    const run = (pairs: readonly (readonly [previous: number, promoted: number])[], rule: RollbackRule = cfg): { w: RollbackWatch; verdicts: string[] } => {
      let w = startWatch('dir', 2, 1, 0.9, T0);
      const verdicts: string[] = [];
      for (const [k, [prev, prom]] of pairs.entries()) {
        w = addWatch(w, prom, rule.minLabels, T0 + (k + 1) * HOUR);
        w = addWatchPair(w, { previous: { logLoss: prev, hit: false }, promoted: { logLoss: prom, hit: false } }, BLOCK);
        verdicts.push(judgeWatch(w, rule).kind);
      }
      return { w, verdicts };
    };

    it('ends after watchLabels labels and watchMs of event time, whichever comes later', () => {
      const same = new Array(400).fill([1.0, 1.0]) as (readonly [number, number])[];
      // 200 labels an hour apart cover 200 h: a 10-day watch (240 h) goes on to the 240th label.
      const long = run(same, { ...cfg, watchMs: 10 * DAY });
      expect(long.verdicts.indexOf('cleared')).toBe(239);
      expect(watchedMs(long.w)).toBe(400 * HOUR);
      // A 2-day watch is over in event time long before the count: the count decides.
      expect(run(same, { ...cfg, watchMs: 2 * DAY }).verdicts.indexOf('cleared')).toBe(199);
      expect(run(same).verdicts.indexOf('cleared')).toBe(199);
      // Labels arriving out of order never move the watch's time back.
      let w = startWatch('dir', 2, 1, 0.9, T0);
      w = addWatch(w, 1, 50, T0 + 5 * HOUR);
      w = addWatch(w, 1, 50, T0 + 2 * HOUR);
      expect(watchedMs(w)).toBe(5 * HOUR);
    });

    it('keeps judging for as long as it watches: a model that decays after the label count is still rolled back within watchMs', () => {
      // As good as the previous model for 300 labels, then worse by 0.05–0.15.
      const pairs = Array.from({ length: 600 }, (_, i) => (i < 300 ? ([1.0, 1.0] as const) : ([1.0, 1.05 + (0.1 * ((i * 7) % 11)) / 10] as const)));
      expect(run(pairs).verdicts.indexOf('cleared')).toBe(199); // by the count alone: gone before the decay
      const timed = run(pairs, { ...cfg, watchMs: 30 * DAY }).verdicts;
      expect(timed.includes('cleared')).toBe(false);
      const at = timed.indexOf('rollback');
      expect(at).toBeGreaterThan(300);
      expect(at).toBeLessThan(600);
    });

    it('keeps a promoted model through a harder stretch that the previous one finds as hard (the old rule rolled it back)', () => {
      // Both models at 1.20 on these labels, far above the 0.9 recorded in the shadow run.
      const { w, verdicts } = run(new Array(200).fill([1.2, 1.19]));
      expect(verdicts.includes('rollback')).toBe(false);
      expect(verdicts.at(-1)).toBe('cleared');
      const { paired: _paired, ...unpaired } = w;
      expect(judgeWatch(unpaired, cfg).kind).toBe('rollback'); // what the rolling rule would have done
    });

    it('rolls back, at the first closed block past minLabels, a promoted model steadily worse than the previous one on the same labels', () => {
      // Worse by 0.05–0.15 (mean 0.1, past the 0.02 margin), varying by label.
      const pairs = Array.from({ length: 200 }, (_, i) => [1.0, 1.05 + 0.1 * ((i * 7) % 11) / 10] as const);
      const { verdicts } = run(pairs);
      expect(verdicts.indexOf('rollback')).toBe(59); // n = 60: 50 labels scored and the third block closed
      const w = run(pairs.slice(0, 60)).w;
      const v = judgeWatch(w, cfg);
      expect(v.kind).toBe('rollback');
      if (v.kind === 'rollback') expect(v.reason).toMatch(/on the same labels \+ 0\.02, t .* over 3 blocks \(min 2\)/);
    });

    it('does not roll back on one bad stretch that the rest of the labels do not confirm (t below minT)', () => {
      // Block 1 much worse, the others slightly better: mean excess past the margin, t small.
      const pairs = Array.from({ length: 200 }, (_, i) => (i < 20 ? ([1.0, 2.0] as const) : ([1.0, 0.99] as const)));
      const { verdicts } = run(pairs);
      expect(verdicts.includes('rollback')).toBe(false);
      // The margin alone would have: at the first look (60 labels) the mean excess is 0.327.
      let w = startWatch('dir', 2, 1, 0.9, T0);
      for (const [prev, prom] of pairs.slice(0, 60)) w = addWatchPair(addWatch(w, prom, 50, T0), { previous: { logLoss: prev, hit: false }, promoted: { logLoss: prom, hit: false } }, BLOCK);
      expect(judgeWatch(w, { ...cfg, minT: 0 }).kind).toBe('rollback');
    });
  });

  describe('the chain anchor: the model a chain of promotions started from, scored beside the watched one', () => {
    const cfg: RollbackRule = { watchLabels: 200, minLabels: 50, margin: 0.02, minT: 2, watchMs: 0 };
    const BLOCK = 20;
    /** v3 promoted over v2, a chain that started at v1; one label an hour. */
    const chain = (losses: readonly (readonly [anchor: number, previous: number, promoted: number])[]): { w: RollbackWatch; verdicts: ReturnType<typeof judgeWatch>[] } => {
      let w = startWatch('dir', 3, 2, 0.9, T0, 1);
      const verdicts: ReturnType<typeof judgeWatch>[] = [];
      for (const [k, [anc, prev, prom]] of losses.entries()) {
        w = addWatch(w, prom, cfg.minLabels, T0 + (k + 1) * HOUR);
        w = addWatchPair(w, { previous: { logLoss: prev, hit: false }, promoted: { logLoss: prom, hit: false } }, BLOCK);
        w = addWatchAnchor(w, { anchor: { logLoss: anc, hit: false }, promoted: { logLoss: prom, hit: false } }, BLOCK);
        verdicts.push(judgeWatch(w, cfg));
      }
      return { w, verdicts };
    };
    const wobble = (i: number): number => (0.1 * ((i * 7) % 11)) / 10;

    it('is scored only when it is neither the promoted model nor the one it replaced', () => {
      expect(startWatch('dir', 3, 2, 0.9, T0, 1).anchor?.champion).toEqual({ name: 'dir', version: 1 });
      expect(startWatch('dir', 2, 1, 0.9, T0, 1).anchor).toBeUndefined();
      expect(startWatch('dir', 3, 2, 0.9, T0).anchor).toBeUndefined();
    });

    it('goes back to the anchor when the promoted model is as good as the link before it but worse than where the chain started', () => {
      const { verdicts } = chain(Array.from({ length: 200 }, (_, i) => [1.0, 1.1 + wobble(i), 1.1 + wobble(i)] as const));
      const at = verdicts.findIndex((v) => v.kind === 'rollback');
      expect(at).toBe(59);
      const v = verdicts[at];
      expect(v).toMatchObject({ kind: 'rollback', to: 1 });
      if (v?.kind === 'rollback') expect(v.reason).toMatch(/> 1\.00000 of dir@1, where the chain of promotions started, on the same labels \+ 0\.02, t .* over 3 blocks/);
      // Without the anchor the same labels keep it (it is no worse than v2).
      let plain = startWatch('dir', 3, 2, 0.9, T0);
      for (let i = 0; i < 200; i++) {
        plain = addWatchPair(addWatch(plain, 1.1 + wobble(i), 50, T0 + (i + 1) * HOUR), { previous: { logLoss: 1.1 + wobble(i), hit: false }, promoted: { logLoss: 1.1 + wobble(i), hit: false } }, BLOCK);
        expect(judgeWatch(plain, cfg).kind).not.toBe('rollback');
      }
    });

    it('worse than both: back to whichever did better on the watched labels', () => {
      const toPrevious = chain(Array.from({ length: 60 }, (_, i) => [1.05, 1.0, 1.2 + wobble(i)] as const)).verdicts.at(-1);
      expect(toPrevious?.kind).toBe('rollback');
      expect(toPrevious !== undefined && 'to' in toPrevious ? toPrevious.to : undefined).toBeUndefined();
      const toAnchor = chain(Array.from({ length: 60 }, (_, i) => [1.0, 1.05, 1.2 + wobble(i)] as const)).verdicts.at(-1);
      expect(toAnchor).toMatchObject({ kind: 'rollback', to: 1 });
    });

    it('keeps a promoted model no worse than the anchor', () => {
      const { verdicts } = chain(Array.from({ length: 200 }, (_, i) => [1.0 + wobble(i), 1.05, 1.0 + wobble(i)] as const));
      expect(verdicts.some((v) => v.kind === 'rollback')).toBe(false);
      expect(verdicts.at(-1)?.kind).toBe('cleared');
    });
  });

  it('scores a probability row: log loss of the realised class and the arg-max hit', () => {
    const probs = Float32Array.from([0.2, 0.3, 0.5, 0.6, 0.3, 0.1]);
    expect(scoreRow(probs, 0, 2).logLoss).toBeCloseTo(-Math.log(0.5), 6);
    expect(scoreRow(probs, 0, 2).hit).toBe(true);
    expect(scoreRow(probs, 1, 1)).toEqual({ logLoss: expect.closeTo(-Math.log(0.3), 6) as number, hit: false });
  });
});
