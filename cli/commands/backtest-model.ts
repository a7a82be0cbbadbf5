import type { ReportModel, ReportSegment } from '../../gateways/report/model-line.js';
import { modelDataSpan } from '../../models/registry/model-data-span.js';
import type { ModelVersion } from '../../models/registry/model-registry.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The served model as report.json records it: its training range as before, and every bar its
 * training read (`dataRange`, by segment in `split`) with whether all of it ends by the window's
 * start (`dataBeforeWindow`). A 2023 window's model read "trained 2020-05-19 → 2022-03-20" though
 * its calibration and test segments ran to the end of 2022: it looked stale, and whether the window
 * reached it could not be told.
 */
export function reportModel(model: Pick<ModelVersion, 'name' | 'version' | 'trainRange' | 'metrics' | 'details'>, window: Readonly<{ from: number }>): ReportModel {
  const span = modelDataSpan(model);
  const end = span?.dataRange.to ?? model.trainRange.to;
  const segments = span === undefined ? {} : Object.fromEntries(Object.entries(span.segments).map(([k, s]): [string, ReportSegment] => [k, { rows: s.rows, from: iso(s.from), to: iso(s.to) }]));
  return {
    ref: `${model.name}@${model.version}`,
    trainRange: { from: iso(model.trainRange.from), to: iso(model.trainRange.to) },
    testAccuracy: model.metrics['test_accuracy'] ?? null,
    testLogLoss: model.metrics['test_log_loss'] ?? null,
    dataRange: span === undefined ? null : { from: iso(span.dataRange.from), to: iso(span.dataRange.to) },
    split: span === undefined ? null : { purgeBars: span.purgeBars, horizonBars: span.horizonBars, ...segments },
    dataBeforeWindow: end > window.from ? false : span === undefined ? null : true,
  };
}
