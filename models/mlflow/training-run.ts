import type { ModelVersion } from '../registry/model-registry.js';
import type { RetrainingTracker } from './retraining-tracker.js';
import { paramKey } from './run-params.js';

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
  /** The trials of `--search`, each logged as a child run (its params, `val_log_loss`). */
  trials?: readonly SearchTrial[];
}>;

/** One trial of a hyperparameter search: the params it tried and its validation log loss (not finite: the fit diverged). */
export type SearchTrial = Readonly<{ index: number; params: Readonly<Record<string, string | number>>; loss: number }>;

/**
 * A `sextant train` run in MLflow: its id, and the calls after its creation that failed
 * (`logParams`, `trialRuns`, `logMetrics`, `logModelVersion`, `endRun`); or, when the run could
 * not be created, `runId` null, the tracking URL and why.
 */
export type LoggedTrainingRun = Readonly<{ runId: string; failed: readonly string[] }> | Readonly<{ runId: null; trackingUrl: string; cause: string }>;

/**
 * Logs one `sextant train` run to MLflow through `tracker` (a no-op when no tracking URL is
 * configured): its parameters, every metric the registry holds for the version (out-of-sample
 * accuracy and log loss, the baselines', search results), lineage tags, and the version as an
 * MLflow model version (`sextant-registry://<name>/<version>`, as the retraining actor logs its
 * challengers). Each trial of a search is a child run of it (the `mlflow.parentRunId` tag, which
 * MLflow's UI nests under the run): the params it tried and its validation log loss. A tracking
 * failure is logged by the tracker and never fails the training; the answer says which calls
 * failed, so the run is not reported as logged when only created.
 */
export async function logTrainingRun(tracker: RetrainingTracker, run: TrainingRun): Promise<LoggedTrainingRun | undefined> {
  if (!tracker.enabled) return undefined;
  const { model } = run;
  const ref = `${model.name}@${model.version}`;
  let cause = 'unknown';
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
    onFailure: (c) => (cause = c),
  });
  if (runId === undefined) return { runId: null, trackingUrl: tracker.trackingUrl ?? '', cause };
  const failed: string[] = [];
  if (!(await tracker.logParams(runId, run.params))) failed.push('logParams');
  if (!(await logTrials(tracker, runId, ref, run))) failed.push('trialRuns');
  if (!(await tracker.logMetrics(runId, { ...model.metrics, ...run.extraMetrics }, run.endTime))) failed.push('logMetrics');
  if (!(await tracker.logModelVersion(runId, { name: model.name, version: model.version, source: `sextant-registry://${model.name}/${model.version}` }))) failed.push('logModelVersion');
  if (!(await tracker.endRun(runId, 'FINISHED', run.endTime))) failed.push('endRun');
  return { runId, failed };
}

/** The search's trials as child runs of `parentRunId`; false when any call failed. */
async function logTrials(tracker: RetrainingTracker, parentRunId: string, ref: string, run: TrainingRun): Promise<boolean> {
  let ok = true;
  for (const t of run.trials ?? []) {
    const runId = await tracker.startRun({
      runName: `${ref} trial ${t.index}`,
      startTime: run.startTime,
      tags: { 'mlflow.parentRunId': parentRunId, 'sextant.command': 'train', 'sextant.model': ref, 'sextant.trial': String(t.index) },
      params: {},
    });
    if (runId === undefined) {
      ok = false;
      continue;
    }
    const params = Object.fromEntries(Object.entries(t.params).map(([k, v]) => [paramKey(k), v]));
    ok = (await tracker.logParams(runId, params)) && ok;
    ok = (await tracker.logMetrics(runId, { val_log_loss: t.loss }, run.endTime)) && ok;
    ok = (await tracker.endRun(runId, Number.isFinite(t.loss) ? 'FINISHED' : 'FAILED', run.endTime)) && ok;
  }
  return ok;
}

/** What `sextant train` prints of its MLflow run. */
export function describeTrainingRun(r: LoggedTrainingRun): string {
  if (r.runId === null) return `MLflow: no run logged at ${r.trackingUrl} (${r.cause}); the model is registered all the same`;
  if (r.failed.length === 0) return `MLflow run ${r.runId}`;
  const open = r.failed.includes('endRun') ? '; it may still show RUNNING there' : '';
  return `MLflow run ${r.runId} is incomplete: ${r.failed.join(', ')} failed (see the warnings above)${open}`;
}
