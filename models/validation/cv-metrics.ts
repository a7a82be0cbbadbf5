import type { BaselineCvReport } from './cross-validate-baseline.js';
import type { CvReport } from './cross-validate.js';

/**
 * A baseline cross-validation as flat, finite metrics for a tracking run: per model (`mlp`, `lr`)
 * the mean and sample std over the folds (CPCV: paths) and the pooled out-of-sample scores of
 * accuracy, log loss and Brier score, e.g. `cv_mlp_log_loss_mean`; `cv_rows`; and how many were
 * scored: `cv_folds` for purged k-fold and walk-forward, `cv_splits` and `cv_paths` for CPCV.
 * CPCV's run param `cv_groups` is its N groups, from which come C(N, k) splits: logged as
 * `cv_folds` before, the splits shared a name with the groups (`--cv-folds`), and a run read
 * "cv_folds 6" as a param and "cv_folds 15" as a metric. Earlier CPCV runs keep that metric.
 *
 * @example cvMetrics(report) // { cv_folds: 5, cv_rows: 8123, cv_mlp_accuracy_mean: 0.41, … }
 */
export function cvMetrics(cv: BaselineCvReport): Record<string, number> {
  const counts: Record<string, number> = cv.mlp.scheme === 'cpcv' ? { cv_splits: cv.folds, ...(cv.paths !== undefined ? { cv_paths: cv.paths } : {}) } : { cv_folds: cv.folds };
  const out: Record<string, number> = { ...counts, cv_rows: cv.rows };
  const add = (model: string, r: CvReport): void => {
    const keys = [
      ['accuracy', 'accuracy'],
      ['log_loss', 'logLoss'],
      ['brier', 'brier'],
    ] as const;
    for (const [name, k] of keys) {
      const values: [string, number][] = [
        [`cv_${model}_${name}_mean`, r.mean[k]],
        [`cv_${model}_${name}_std`, r.std[k]],
        [`cv_${model}_${name}_pooled`, r.pooled[k]],
      ];
      for (const [key, v] of values) if (Number.isFinite(v)) out[key] = v;
    }
  };
  add('mlp', cv.mlp);
  add('lr', cv.logisticRegression);
  return out;
}
