import { z } from 'zod';
import { TIMEFRAME_MS, TimeframeSchema } from '../../streams/messages/bar.js';
import type { ModelVersion } from './model-registry.js';

/** One segment of a training split as the registry's `details.split` records it: its rows, first row's bar open, last row's bar end. */
export type SplitSegment = Readonly<{ rows: number; from: number; to: number }>;

export const SPLIT_SEGMENTS = ['train', 'fit', 'validation', 'calibration', 'test'] as const;
export type SplitSegmentName = (typeof SPLIT_SEGMENTS)[number];

/**
 * All the bars a trained model's fit, early stopping, calibration and test scores read, from its
 * registry details. `trainRange` covers the training segment only: the validation (inside it),
 * calibration and test segments come after it, up to the end of the data the trainer was given.
 */
export type ModelDataSpan = Readonly<{
  /**
   * The first row's bar open to the end of the last bar any label read: the latest segment's last
   * row plus `horizonBars` bars (the same rule as `trainRange.to` for the training segment).
   */
  dataRange: Readonly<{ from: number; to: number }>;
  horizonBars: number;
  purgeBars: number;
  segments: Readonly<Partial<Record<SplitSegmentName, SplitSegment>>>;
}>;

const isoMs = z.string().transform((s, ctx) => {
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) ctx.addIssue({ code: 'custom', message: `not a time: ${s}` });
  return ms;
});
const SegmentSchema = z.object({ rows: z.number().int().nonnegative(), from: isoMs, to: isoMs });
const DetailsSchema = z.object({
  labels: z.object({ horizonBars: z.number().int().positive() }),
  dataset: z.object({ timeframe: TimeframeSchema }).optional(),
  options: z.object({ barMs: z.number().positive().optional() }).optional(),
  split: z.object({
    purgeBars: z.number().int().nonnegative(),
    train: SegmentSchema,
    fit: SegmentSchema.optional(),
    validation: SegmentSchema.optional(),
    calibration: SegmentSchema,
    test: SegmentSchema,
  }),
});

/**
 * The span of data a model saw, read from `details` as `sextant train` and the backtest's own
 * training record it (`split`, `labels.horizonBars`, the bar length from `options.barMs` or
 * `dataset.timeframe`). Undefined for a version whose details do not say (a retraining challenger,
 * a model registered by other means): only its `trainRange` is known then.
 */
export function modelDataSpan(model: Pick<ModelVersion, 'details'>): ModelDataSpan | undefined {
  const d = DetailsSchema.safeParse(model.details);
  if (!d.success) return undefined;
  const { split, labels, options, dataset } = d.data;
  const barMs = options?.barMs ?? (dataset === undefined ? undefined : TIMEFRAME_MS[dataset.timeframe]);
  if (barMs === undefined) return undefined;
  const segments: Partial<Record<SplitSegmentName, SplitSegment>> = {};
  for (const name of SPLIT_SEGMENTS) {
    const s = split[name];
    if (s !== undefined && s.rows > 0) segments[name] = s;
  }
  const present = Object.values(segments);
  if (present.length === 0) return undefined;
  const from = Math.min(...present.map((s) => s.from));
  const to = Math.max(...present.map((s) => s.to)) + labels.horizonBars * barMs;
  return { dataRange: { from, to }, horizonBars: labels.horizonBars, purgeBars: split.purgeBars, segments };
}

/**
 * The end of every bar a model's training read, to judge whether a window's data reached it:
 * `dataRange.to` ({@link modelDataSpan}) when the registry records the split; else `trainRange.to`.
 * A retraining challenger records no such split, but its `trainRange` runs from its first sample to
 * just past its last label, its validation rows (the latest samples) included: all it read. (A model
 * registered by other means without a split: its `trainRange.to`, all that is known.)
 */
export function modelDataEnd(model: Pick<ModelVersion, 'details' | 'trainRange'>): number {
  return modelDataSpan(model)?.dataRange.to ?? model.trainRange.to;
}
