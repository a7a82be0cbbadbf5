import type { SplitSegmentName } from '../../models/registry/model-data-span.js';
import { escapeHtml } from './svg-chart.js';

/** A segment of the model's training split in report.json: rows, first row's bar open, last row's bar end (its labels read `horizonBars` bars more). */
export type ReportSegment = Readonly<{ rows: number; from: string; to: string }>;

/** The served model in report.json, and the data it saw. */
export type ReportModel = Readonly<{
  ref: string;
  /**
   * The registry's `trainRange`: the training segment only, its first row's bar to the end of the
   * bar its last label read. Kept as it was; the validation (inside it), calibration and test
   * segments come after it, up to `dataRange.to`.
   */
  trainRange: Readonly<{ from: string; to: string }>;
  testAccuracy: number | null;
  testLogLoss: number | null;
  /**
   * Every bar the model's training read (fit, early stopping, calibration, test scores): the first
   * row's bar open to the end of the last bar a label of its latest segment read. Null when the
   * registry records only `trainRange` (a retraining challenger, a model registered by other means).
   */
  dataRange: Readonly<{ from: string; to: string }> | null;
  /** The split the registry records (`details.split`), each segment that has rows, with the purge and label horizon in bars; null likewise. */
  split: (Readonly<{ purgeBars: number; horizonBars: number }> & Readonly<Partial<Record<SplitSegmentName, ReportSegment>>>) | null;
  /**
   * Whether no bar of the window, nor any after its start, reached the model: true when
   * `dataRange.to` ≤ `window.from`; false when it (or, without a `dataRange`, `trainRange.to`) is
   * later, and a warning says so; null when only `trainRange` is known and it ends by the window's
   * start (the later segments' end is not recorded).
   */
  dataBeforeWindow: boolean | null;
}>;

/** A UTC day, with the time of day where it is not midnight (a segment may end at any bar). */
export const when = (isoTime: string): string => (isoTime.endsWith('T00:00:00.000Z') ? isoTime.slice(0, 10) : `${isoTime.slice(0, 16).replace('T', ' ')} UTC`);

/**
 * The report's line on the model: every bar it saw, split by segment, and whether all of it ends
 * before the window. A model whose data reaches into or past the window is said in bold; one
 * whose later segments are not recorded says what is known (its training range) and that the
 * rest is not.
 */
export function modelLine(model: ReportModel, window: Readonly<{ from: string }>): string {
  const verdict =
    model.dataBeforeWindow === true
      ? `all of it before the window (it starts ${escapeHtml(when(window.from))}): no bar of the window reached the model`
      : model.dataBeforeWindow === false
        ? `<strong class="leak">NOT all before the window: its data runs to ${escapeHtml(when(model.dataRange?.to ?? model.trainRange.to))}, past the window's start ${escapeHtml(when(window.from))} (see the warnings)</strong>`
        : 'the registry records no later segment (validation, calibration, test): whether bars of the window reached the model is not known';
  const head = `model ${escapeHtml(model.ref)}`;
  const trained = `trained ${escapeHtml(when(model.trainRange.from))} → ${escapeHtml(when(model.trainRange.to))}`;
  if (model.dataRange === null || model.split === null) return `<p class="model">${head}: ${trained}; ${verdict}</p>`;
  const split = model.split;
  const seg = (label: string, s: ReportSegment | undefined): string[] => (s === undefined ? [] : [`${label} ${escapeHtml(when(s.from))} → ${escapeHtml(when(s.to))}`]);
  const inTrain = [...seg('fit', split.fit), ...seg('validation (early stopping)', split.validation)];
  const parts = [
    ...seg('train', split.train).map((t) => (inTrain.length === 0 ? t : `${t} (${inTrain.join(', ')})`)),
    ...seg('calibration', split.calibration),
    ...seg('test', split.test),
    `labels ${split.horizonBars} bars ahead, ${split.purgeBars} purged before each boundary`,
  ];
  return `<p class="model">${head} saw the bars ${escapeHtml(when(model.dataRange.from))} → ${escapeHtml(when(model.dataRange.to))} (${parts.join('; ')}): ${verdict}</p>`;
}
