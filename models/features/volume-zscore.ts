import { fromJsonNumber, orNull, toJsonNumber } from './json-number.js';
import { RollingWindow } from './rolling-window.js';
import type { RollingWindowState } from './rolling-window.js';

/**
 * Below this σ/|mean| the window is treated as constant. Rounding alone leaves σ ≈ 1e-16·|mean|
 * on a flat window; dividing by it would turn "no surprise" into an arbitrary ±1.
 */
const FLAT_RELATIVE_SIGMA = 1e-12;

export type VolumeZScoreState = Readonly<{ window: RollingWindowState; z: number | null }>;

/**
 * How unusual the latest bar's volume is: z = (v − mean)/σ over the last `period` bars, the
 * current bar included, population σ. Null until the window is full; 0 when the window is flat
 * (all volumes equal: the latest bar is not unusual).
 */
export class VolumeZScore {
  private window: RollingWindow;
  private z = Number.NaN;

  constructor(period = 20) {
    this.window = new RollingWindow(period);
  }

  get period(): number {
    return this.window.period;
  }

  update(volume: number): void {
    const w = this.window;
    w.push(volume);
    if (!w.full) return;
    const mean = w.mean();
    const sd = Math.sqrt(w.variance());
    this.z = sd > FLAT_RELATIVE_SIGMA * Math.abs(mean) ? (volume - mean) / sd : 0;
  }

  get value(): number | null {
    return orNull(this.z);
  }

  /** `value` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get valueOrNaN(): number {
    return this.z;
  }

  toState(): VolumeZScoreState {
    return { window: this.window.toState(), z: toJsonNumber(this.z) };
  }

  static fromState(s: VolumeZScoreState): VolumeZScore {
    const v = new VolumeZScore(s.window.period);
    v.window = RollingWindow.fromState(s.window);
    v.z = fromJsonNumber(s.z);
    return v;
  }
}
