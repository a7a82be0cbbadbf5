import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { addShadow, judgeShadow, shadowResultOf, startShadow } from '../../models/retraining/shadow-evaluation.js';
import { retrainingMachine } from '../../state/retraining-machine.js';

const rule = { predictions: 40, margin: 0.01, blockLabels: 20, minT: 2 };
const champion = { name: 'dir', version: 1 };
const challenger = { name: 'dir', version: 2 };

describe('the last shadow verdict is kept as numbers', () => {
  it('keeps what the verdict was judged on once the run is over (its stats were dropped with the run: only lastOutcome\'s text had them)', () => {
    let s = startShadow(champion, challenger);
    for (let i = 0; i < 40; i++) s = addShadow(s, { champion: { logLoss: 1.1, hit: i % 3 === 0 }, challenger: { logLoss: 1.0 + (i % 2) * 0.02, hit: i % 2 === 0 } }, rule.blockLabels);
    const v = judgeShadow(s, rule);
    const r = shadowResultOf(s, rule);
    if (v.kind === 'pending') throw new Error('pending');
    expect(r).toMatchObject({ champion, challenger, n: 40, margin: 0.01, minT: 2, blocks: 2, championHitRate: 14 / 40, challengerHitRate: 0.5 });
    expect(r.championLogLoss).toBeCloseTo(v.championLogLoss, 12);
    expect(r.challengerLogLoss).toBeCloseTo(v.challengerLogLoss, 12);
    // Every block has the same mean: the t statistic is infinite, which JSON cannot hold (null), and tStatus says so.
    expect(r.t).toBeNull();
    expect(r.tStatus).toBe('inf');

    const a = createActor(retrainingMachine).start();
    const cycle = (): void => {
      a.send({ type: 'TRIGGER', reason: { kind: 'operator', detail: 'x' } });
      a.send({ type: 'SAMPLES_READY' });
    };
    cycle();
    a.send({ type: 'TRAINED', challenger });
    a.send({ type: 'VALID' });
    a.send({ type: 'SHADOW_REJECT', reason: 'not better', shadow: r });
    a.send({ type: 'SETTLED' });
    expect(a.getSnapshot().context.lastShadow).toEqual({ ...r, verdict: 'rejected' });
    // Kept across a pause from idle, gone with the next cycle that ends without a verdict of its own.
    a.send({ type: 'PAUSE', reason: 'look', operator: 'op' });
    a.send({ type: 'RESUME', operator: 'op' });
    expect(a.getSnapshot().context.lastShadow?.verdict).toBe('rejected');
    cycle();
    a.send({ type: 'TRAIN_FAILED', error: 'boom' });
    expect(a.getSnapshot().context.lastShadow).toBeNull();
  });

  it('says why t is null: infinite above or below the margin, too few blocks, or not required (null alone read the same for all)', () => {
    const run = (n: number, champ: (i: number) => number, chal: (i: number) => number, r = rule) => {
      let s = startShadow(champion, challenger);
      for (let i = 0; i < n; i++) s = addShadow(s, { champion: { logLoss: champ(i), hit: true }, challenger: { logLoss: chal(i), hit: true } }, r.blockLabels);
      return JSON.parse(JSON.stringify(shadowResultOf(s, r))) as ReturnType<typeof shadowResultOf>;
    };
    // Every block the same, better than the margin: +∞; worse: −∞. Both null in t.
    expect(run(40, () => 1.1, () => 1.0)).toMatchObject({ t: null, tStatus: 'inf', blocks: 2 });
    expect(run(40, () => 1.0, () => 1.1)).toMatchObject({ t: null, tStatus: '-inf', blocks: 2 });
    // One closed block: no spread, no t.
    expect(run(39, () => 1.1, () => 1.0)).toMatchObject({ t: null, tStatus: 'too-few-blocks', blocks: 1 });
    // minT 0: judged on the margin alone, t not computed.
    expect(run(40, () => 1.1, () => 1.0, { ...rule, minT: 0 })).toMatchObject({ t: null, tStatus: 'not-required' });
    // Blocks that differ: a number.
    const finite = run(60, () => 1.1, (i) => 1.0 + (i < 20 ? 0 : i < 40 ? 0.02 : 0.04));
    expect(finite.tStatus).toBe('finite');
    expect(finite.t).toEqual(expect.any(Number));
  });
});
