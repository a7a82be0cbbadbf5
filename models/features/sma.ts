import { orNull } from './json-number.js';
import { RollingWindow } from './rolling-window.js';
import type { RollingWindowState } from './rolling-window.js';

export type SmaState = Readonly<{ window: RollingWindowState }>;

/**
 * Simple moving average of the last `period` values; null until `period` values arrived (TA-Lib:
 * first value at index period−1). Backed by {@link RollingWindow}, so it neither drifts over
 * months of updates nor costs more than O(1) amortised per update.
 */
export class Sma {
  private window: RollingWindow;
  private avg = Number.NaN;

  constructor(readonly period: number) {
    this.window = new RollingWindow(period);
  }

  update(x: number): void {
    const w = this.window;
    w.push(x);
    if (w.full) this.avg = w.mean();
  }

  get value(): number | null {
    return orNull(this.avg);
  }

  /** `value` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get valueOrNaN(): number {
    return this.avg;
  }

  toState(): SmaState {
    return { window: this.window.toState() };
  }

  static fromState(s: SmaState): Sma {
    const sma = new Sma(s.window.period);
    sma.window = RollingWindow.fromState(s.window);
    if (sma.window.full) sma.avg = sma.window.mean(); // a pure function of the restored window
    return sma;
  }
}
