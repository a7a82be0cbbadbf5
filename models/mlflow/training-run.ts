import type { ModelVersion } from '../registry/model-registry.js';
import type { RetrainingTracker } from './retraining-tracker.js';

export type TrainingRun = Readonly<{
  /** The registered version the run produced. */
  model: ModelVersion;
  /** `train` (the baseline MLP) or the pipeline's kind (`mlp`, `gru`, `ensemble`). */
  kind: string;
  params: Readonly<Record<string, string | number>>;
  /** When the training started and ended (ms since epoch; the caller's clock). */
  startTime: number;
  endTime: number;
  /** Metrics computed beside the registered ones (`sextant train --cv`: the cross-validation scores). */
  extraMetrics?: Readonly<Record<string, number>>;
}>;

/** A `sextant train` run in MLflow: its id, and the calls after its creation that failed (`logParams`, `logMetrics`, `logModelVersion`, `endRun`). */
export type LoggedTrainingRun = Readonly<{ runId: string; failed: readonly string[] }>;

/**
 * Logs one `sextant train` run to MLflow through `tracker` (a no-op when no tracking URL is
 * configured): its parameters, every metric the registry holds for the version (out-of-sample
 * accuracy and log loss, the baselines', search results), lineage tags, and the version as an
 * MLflow model version (`sextant-registry://<name>/<version>`, as the retraining actor logs its
 * challengers). A tracking failure is logged by the tracker and never fails the training; the
 * answer says which calls failed, so the run is not reported as logged when only created.
 */
export async function logTrainingRun(tracker: RetrainingTracker, run: TrainingRun): Promise<LoggedTrainingRun | undefined> {
  if (!tracker.enabled) return undefined;
  const { model } = run;
  const ref = `${model.name}@${model.version}`;
  const runId = await tracker.startRun({
    runName: `${ref} ${run.kind}`,
    startTime: run.startTime,
    tags: {
      'sextant.command': 'train',
      'sextant.model': ref,
      'sextant.kind': run.kind,
      'sextant.parent': model.parentVersion === null ? '' : `${model.name}@${model.parentVersion}`,
      'sextant.config_hash': model.configHash,
      'sextant.feature_spec_hash': model.featureSpecHash,
    },
    params: {},
  });
  if (runId === undefined) return undefined;
  const failed: string[] = [];
  if (!(await tracker.logParams(runId, run.params))) failed.push('logParams');
  if (!(await tracker.logMetrics(runId, { ...model.metrics, ...run.extraMetrics }, run.endTime))) failed.push('logMetrics');
  if (!(await tracker.logModelVersion(runId, { name: model.name, version: model.version, source: `sextant-registry://${model.name}/${model.version}` }))) failed.push('logModelVersion');
  if (!(await tracker.endRun(runId, 'FINISHED', run.endTime))) failed.push('endRun');
  return { runId, failed };
}

/** What `sextant train` prints of its MLflow run. */
export function describeTrainingRun(r: LoggedTrainingRun): string {
  if (r.failed.length === 0) return `MLflow run ${r.runId}`;
  const open = r.failed.includes('endRun') ? '; it may still show RUNNING there' : '';
  return `MLflow run ${r.runId} is incomplete: ${r.failed.join(', ')} failed (see the warnings above)${open}`;
}
