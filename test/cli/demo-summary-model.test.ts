import { describe, expect, it } from 'vitest';
import { demoModelLine, demoSummaryModel } from '../../cli/commands/demo-summary.js';

const H = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const WINDOW_FROM = Date.UTC(2024, 0, 1);

/**
 * The demo's model as `ensureDemoModel` trains it on the three years before 2024-01-01 (the
 * registry's details of direction-mlp@1): its training segment ends 2023-02-09, its calibration and
 * test segments run on to the window's start.
 */
function demoModel(details: Record<string, unknown> | undefined, trained = true) {
  const seg = (from: number, to: number, rows: number) => ({ rows, from: iso(from), to: iso(to) });
  const trainTo = Date.UTC(2023, 1, 9);
  return {
    trained,
    cached: false,
    model: {
      name: 'direction-mlp',
      version: 1,
      trainRange: { from: Date.UTC(2021, 0, 9, 7), to: trainTo + 4 * H },
      metrics: { test_accuracy: 0.396, test_log_loss: 1.0873 },
      details: details ?? {
        labels: { horizonBars: 4, kAtr: 0.5 },
        dataset: { source: 'data', symbols: ['BTC/USDT'], timeframe: '1h', rows: 10, dropped: 0 },
        split: {
          purgeBars: 4,
          train: seg(Date.UTC(2021, 0, 9, 7), trainTo, 54_660),
          fit: seg(Date.UTC(2021, 0, 9, 7), Date.UTC(2022, 9, 17, 23), 46_449),
          validation: seg(Date.UTC(2022, 9, 18, 3), trainTo, 8199),
          calibration: seg(trainTo + 4 * H, Date.UTC(2023, 6, 21, 22), 11_703),
          test: seg(Date.UTC(2023, 6, 22, 2), WINDOW_FROM - 4 * H, 11_718),
        },
      },
    },
  };
}

/**
 * The summary's model line read `direction-mlp@1 (trained now on 2021-01-09 → 2023-02-09; …)`: the
 * training segment only, as if the model had seen nothing of the eleven months before the window,
 * where its calibration and test data ran.
 */
describe("the demo summary's model: all the data its training read, and that it ends before the window", () => {
  it('shows the calibration and test data up to the window, with the verdict, in the line and the JSON', () => {
    const m = demoSummaryModel(demoModel(undefined), WINDOW_FROM);
    expect(m).toMatchObject({
      ref: 'direction-mlp@1',
      trainRange: { from: '2021-01-09T07:00:00.000Z', to: '2023-02-09T04:00:00.000Z' },
      dataRange: { from: '2021-01-09T07:00:00.000Z', to: '2024-01-01T00:00:00.000Z' },
      dataBeforeWindow: true,
    });
    expect(demoModelLine(m)).toBe('direction-mlp@1 (trained now on 2021-01-09 → 2023-02-09, calibrated and tested to 2024-01-01, all before the window; test accuracy 39.6%, log loss 1.0873)');
    // One bar later, the window would start before the end of its test labels.
    const late = demoSummaryModel(demoModel(undefined), WINDOW_FROM - H);
    expect(late.dataBeforeWindow).toBe(false);
    expect(demoModelLine(late)).toContain('calibrated and tested to 2024-01-01, NOT all before the window');
  });

  it('says what is not known of a model whose registry records no split (a retraining challenger)', () => {
    const m = demoSummaryModel(demoModel({ split: { fitRows: 1000, validationRows: 200 } }, false), WINDOW_FROM);
    expect(m).toMatchObject({ dataRange: null, dataBeforeWindow: null });
    expect(demoModelLine(m)).toBe('direction-mlp@1 (from the registry, trained on 2021-01-09 → 2023-02-09, its calibration and test data are not recorded; test accuracy 39.6%, log loss 1.0873)');
  });
});
