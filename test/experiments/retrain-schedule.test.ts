import { describe, expect, it } from 'vitest';
import { comparisonMarkdown, formatComparison, pooledScores, wins } from '../../models/experiments/comparison-table.js';
import type { ArmResult, WindowResult } from '../../models/experiments/comparison-table.js';
import { labelKey, scorePredictions } from '../../models/experiments/prediction-scores.js';
import { retrainSchedule, trainingLeaks } from '../../models/experiments/retrain-schedule.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('retrain schedule', () => {
  it('frozen: one point at the window start, training ends one embargo before it', () => {
    const from = Date.UTC(2024, 7, 1);
    expect(retrainSchedule({ from, to: from + 31 * DAY, embargoMs: 24 * HOUR, trainMs: 365 * DAY })).toEqual([{ at: from, trainFrom: from - 24 * HOUR - 365 * DAY, trainTo: from - 24 * HOUR }]);
  });

  it('online: a point every interval inside the window, none at or after its end', () => {
    const from = Date.UTC(2024, 7, 1);
    const pts = retrainSchedule({ from, to: from + 31 * DAY, everyMs: 7 * DAY, embargoMs: 24 * HOUR, trainMs: 3 * 365 * DAY });
    expect(pts.map((p) => (p.at - from) / DAY)).toEqual([0, 7, 14, 21, 28]);
  });

  it('never lets a training range reach its point minus the embargo, for any interval and embargo', () => {
    const from = Date.UTC(2022, 0, 1);
    for (const everyDays of [1, 3, 7, 14, 30]) {
      for (const embargoH of [0, 4, 24, 72]) {
        const pts = retrainSchedule({ from, to: from + 365 * DAY, everyMs: everyDays * DAY, embargoMs: embargoH * HOUR, trainMs: 3 * 365 * DAY });
        expect(pts.length).toBeGreaterThan(0);
        for (const p of pts) {
          expect(p.trainTo).toBeLessThanOrEqual(p.at - embargoH * HOUR);
          expect(p.trainFrom).toBeLessThan(p.trainTo);
        }
        // Strictly later points train on strictly later data.
        for (let i = 1; i < pts.length; i++) expect((pts[i]?.trainTo ?? 0) > (pts[i - 1]?.trainTo ?? 0)).toBe(true);
      }
    }
  });

  it('flags a recorded training that read a bar closing after at − embargo, or before its range', () => {
    const at = Date.UTC(2024, 7, 8);
    const ok = { at, trainFrom: at - 24 * HOUR - 30 * DAY, trainTo: at - 24 * HOUR, firstBarTs: at - 24 * HOUR - 30 * DAY, lastBarTs: at - 25 * HOUR, bars: 720, model: 'm@2' };
    expect(trainingLeaks([ok], HOUR, 24 * HOUR)).toEqual([]);
    expect(trainingLeaks([{ ...ok, lastBarTs: at - 24 * HOUR }], HOUR, 24 * HOUR)).toHaveLength(1);
    expect(trainingLeaks([{ ...ok, firstBarTs: ok.trainFrom - HOUR }], HOUR, 24 * HOUR)).toHaveLength(1);
    expect(trainingLeaks([{ ...ok, trainTo: at - 23 * HOUR, lastBarTs: at - 24 * HOUR }], HOUR, 24 * HOUR)).toHaveLength(1);
  });
});

describe('prediction scores and the comparison table', () => {
  it('scores predictions against realised labels by symbol and bar time, counting the unlabelled', () => {
    const labels = new Map([
      [labelKey('BTC/USDT', 0), 2],
      [labelKey('BTC/USDT', HOUR), 0],
    ]);
    const s = scorePredictions(
      [
        { symbol: 'BTC/USDT', ts: 0, probs: [0.2, 0.3, 0.5], model: 'm@1' },
        { symbol: 'BTC/USDT', ts: HOUR, probs: [0.25, 0.5, 0.25], model: 'm@2' },
        { symbol: 'BTC/USDT', ts: 2 * HOUR, probs: [0.1, 0.1, 0.8], model: 'm@2' },
      ],
      labels,
    );
    expect(s.predictions).toBe(3);
    expect(s.scored).toBe(2);
    expect(s.accuracy).toBe(0.5);
    expect(s.logLoss).toBeCloseTo(-(Math.log(0.5) + Math.log(0.25)) / 2, 12);
    expect(s.byModel).toEqual({ 'm@1': 1, 'm@2': 2 });
    expect(scorePredictions([], labels)).toMatchObject({ scored: 0, logLoss: null, accuracy: null });
  });

  it('pools scores weighted by predictions and counts the windows each arm wins', () => {
    const metrics = (ret: number) => performanceMetrics({ startTs: 0, startingCapital: 100, equity: [{ ts: HOUR, equity: 100 }, { ts: 2 * HOUR, equity: 100 * (1 + ret) }], grossExposure: [0, 0], trades: [], feesPaid: 0, tradedNotional: 0, periodsPerYear: 8760 });
    const arm = (a: 'frozen' | 'online', scored: number, logLoss: number, accuracy: number, ret: number): ArmResult => ({ arm: a, scores: { predictions: scored, scored, accuracy, logLoss, brier: 0.6, byModel: {} }, metrics: metrics(ret), trainings: [], seconds: 1 });
    const w = (name: string, f: ArmResult, o: ArmResult): WindowResult => ({ window: name, from: '', to: '', symbols: ['BTC/USDT'], skipped: [], arms: { frozen: f, online: o }, error: null });
    const results = [w('a', arm('frozen', 100, 1.0, 0.4, 0.01), arm('online', 100, 1.1, 0.45, -0.01)), w('b', arm('frozen', 300, 1.2, 0.4, 0.02), arm('online', 300, 1.0, 0.5, 0.03))];
    expect(pooledScores(results, 'online').logLoss).toBeCloseTo((1.1 * 100 + 1.0 * 300) / 400, 12);
    expect(wins(results).logLoss).toEqual({ frozen: 1, online: 1, loop: 0, tie: 0 });
    expect(wins(results).accuracy).toEqual({ frozen: 0, online: 2, loop: 0, tie: 0 });
    expect(wins(results).return).toEqual({ frozen: 1, online: 1, loop: 0, tie: 0 });
    // Only the arms compared are counted: the loop arm was not asked for, so it has no 0 beside them.
    expect(wins(results, ['frozen', 'online']).logLoss).toEqual({ frozen: 1, online: 1, tie: 0 });
    expect(wins(results, ['online']).accuracy).toEqual({ online: 0, tie: 0 });
    // Three arms: the best of the three wins; a shared best is a tie.
    const three = [
      { ...w('c', arm('frozen', 100, 1.0, 0.4, 0.01), arm('online', 100, 1.1, 0.45, 0.02)), arms: { frozen: arm('frozen', 100, 1.0, 0.4, 0.01), online: arm('online', 100, 1.1, 0.45, 0.02), loop: { ...arm('frozen', 100, 0.9, 0.45, 0.03), arm: 'loop' as const } } },
    ];
    expect(wins(three).logLoss).toEqual({ frozen: 0, online: 0, loop: 1, tie: 0 });
    expect(wins(three).accuracy).toEqual({ frozen: 0, online: 0, loop: 0, tie: 1 });
    expect(wins(three).return).toEqual({ frozen: 0, online: 0, loop: 1, tie: 0 });
    expect(formatComparison(three)).toContain('log loss: frozen 0, online 0, loop 1, tie 0');
    const text = formatComparison(results);
    expect(text).toContain('online');
    expect(text.split('\n')[1]).toMatch(/^a\s+BTC\s+frozen\s+0\s+100\s+40\.00%\s+1\.0000\s+1\.00%/);
    const md = comparisonMarkdown(results);
    expect(md.split('\n')[0]).toBe('| window | symbols | arm | models | scored | accuracy | log loss | return | Sharpe | max DD | trades | risk at end |');
    expect(md.split('\n').filter((l) => l.startsWith('| b |'))).toHaveLength(2);
    // The risk column: the state and the day it was entered; the state alone when nothing changed; — when not recorded.
    expect(md.split('\n').filter((l) => l.startsWith('| a |')).every((l) => l.endsWith('| — |'))).toBe(true);
    const halted: ArmResult = {
      ...arm('frozen', 100, 1.0, 0.4, 0.01),
      risk: {
        transitions: [
          { at: '2022-01-21T23:00:00.000Z', state: 'REDUCING', previous: 'ACTIVE', reason: 'DAILY_LOSS: x; flattening' },
          { at: '2022-01-22T02:00:00.000Z', state: 'HALTED', previous: 'REDUCING', reason: 'DAILY_LOSS: x; flattened' },
        ],
        finalState: 'HALTED',
      },
    };
    const active: ArmResult = { ...arm('online', 100, 1.1, 0.45, -0.01), risk: { transitions: [], finalState: 'ACTIVE' } };
    const riskRows = comparisonMarkdown([w('r', halted, active)]).split('\n').filter((l) => l.startsWith('| r |'));
    expect(riskRows.map((l) => l.split('|').at(-2)?.trim())).toEqual(['HALTED 2022-01-22', 'ACTIVE']);
    expect(md).not.toContain('registry changes'); // no loop arm
  });

  it('lists the loop arm\'s registry changes per window, with their reasons, under the table', () => {
    const metrics = performanceMetrics({ startTs: 0, startingCapital: 100, equity: [{ ts: HOUR, equity: 100 }, { ts: 2 * HOUR, equity: 101 }], grossExposure: [0, 0], trades: [], feesPaid: 0, tradedNotional: 0, periodsPerYear: 8760 });
    const loop = (changes: ArmResult['modelChanges']): ArmResult => ({ arm: 'loop', scores: { predictions: 10, scored: 10, accuracy: 0.5, logLoss: 1, brier: 0.6, byModel: {} }, metrics, trainings: [], seconds: 1, modelChanges: changes });
    const results: WindowResult[] = [
      {
        window: 'crash',
        from: '',
        to: '',
        symbols: ['BTC/USDT'],
        skipped: [],
        arms: {
          loop: loop([
            { at: '2024-08-14T00:00:00.000Z', event: 'promoted', version: 2, previousVersion: 1, reason: 'shadow over 60 labeled predictions: challenger log loss 1.04 vs champion 1.05 (margin 0)' },
            { at: '2024-08-20T07:00:00.000Z', event: 'rolled_back', version: 1, previousVersion: 2, reason: 'watched 300 labels: worse than v1 | by 0.02' },
          ]),
        },
        error: null,
      },
      { window: 'calm', from: '', to: '', symbols: ['BTC/USDT'], skipped: [], arms: { loop: loop([]) }, error: null },
    ];
    const md = comparisonMarkdown(results).split('\n');
    const at = md.indexOf('### crash: the loop arm\'s registry changes');
    expect(at).toBeGreaterThan(md.findIndex((l) => l.startsWith('| crash |')));
    expect(md.slice(at + 2, at + 6)).toEqual([
      '| event time | change | version | previous | reason |',
      '| --- | --- | ---: | ---: | --- |',
      '| 2024-08-14 00:00 | promoted | 2 | 1 | shadow over 60 labeled predictions: challenger log loss 1.04 vs champion 1.05 (margin 0) |',
      '| 2024-08-20 07:00 | rolled back | 1 | 2 | watched 300 labels: worse than v1 \\| by 0.02 |',
    ]);
    expect(md.slice(md.indexOf('### calm: the loop arm\'s registry changes') + 2)[0]).toBe('none: the first model served throughout.');
  });
});
