import type { Logger } from '../../state/logger.js';
import { createMlflowClient } from './mlflow-client.js';
import type { MlflowClient, MlflowMetric, MlflowRunStatus } from './mlflow-client.js';

/**
 * What the retraining actor reports to experiment tracking: one run per retraining cycle (its
 * trigger, parameters, training and shadow metrics, outcome) and the challenger as a model
 * version. Never throws: a tracking failure is logged and retraining goes on; the run id is
 * kept in the actor's snapshot so a restarted actor finishes the same run.
 */
export type RetrainingTracker = Readonly<{
  enabled: boolean;
  /** The MLflow server runs go to (absent when tracking is off). */
  trackingUrl?: string;
  /**
   * Starts a run; undefined when tracking is off or the server failed (said in a warning, and
   * to `onFailure` with the cause). `mlflow.parentRunId` in `tags` nests it under another run.
   */
  startRun(
    a: Readonly<{ runName: string; startTime: number; tags: Readonly<Record<string, string>>; params: Readonly<Record<string, string | number>>; onFailure?: (cause: string) => void }>,
  ): Promise<string | undefined>;
  /** Logs parameters of a started run (`startRun` logs its own; none: no call). These calls resolve false when the server failed (said in a warning), else true. */
  logParams(runId: string | undefined, params: Readonly<Record<string, string | number>>): Promise<boolean>;
  logMetrics(runId: string | undefined, metrics: Readonly<Record<string, number>>, timestamp: number, step?: number): Promise<boolean>;
  /** Registers the challenger (name, registry version, artifact URI) as an MLflow model version. */
  logModelVersion(runId: string | undefined, a: Readonly<{ name: string; version: number; source: string }>): Promise<boolean>;
  endRun(runId: string | undefined, status: MlflowRunStatus, endTime: number, tags?: Readonly<Record<string, string>>): Promise<boolean>;
}>;

export type MlflowTrackingConfig = Readonly<{ trackingUrl?: string | undefined; experiment: string; registerModels: boolean; timeoutMs: number }>;

/** The tracker of a configuration without a tracking URL: logs nothing. */
export const NO_TRACKER: RetrainingTracker = {
  enabled: false,
  startRun: () => Promise.resolve(undefined),
  logParams: () => Promise.resolve(true),
  logMetrics: () => Promise.resolve(true),
  logModelVersion: () => Promise.resolve(true),
  endRun: () => Promise.resolve(true),
};

const tagsOf = (r: Readonly<Record<string, string>>) => Object.entries(r).map(([key, value]) => ({ key, value }));
/** MLflow keeps param values as strings of at most 6000 characters. */
const paramValue = (v: string | number): string => String(v).slice(0, 6000);

export function createRetrainingTracker(cfg: MlflowTrackingConfig, log: Logger, fetchImpl?: typeof fetch): RetrainingTracker {
  if (cfg.trackingUrl === undefined) return NO_TRACKER;
  const client: MlflowClient = createMlflowClient({ trackingUrl: cfg.trackingUrl, timeoutMs: cfg.timeoutMs, ...(fetchImpl !== undefined ? { fetch: fetchImpl } : {}) });
  let experiment: Promise<string> | undefined;
  const trackingUrl = cfg.trackingUrl;
  const guarded = async <T>(what: string, fn: () => Promise<T>, onFailure?: (cause: string) => void): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      log.warn({ err: (e as Error).message, what, trackingUrl }, 'MLflow call failed; carrying on without it');
      onFailure?.((e as Error).message);
      return undefined;
    }
  };
  /** A call that returns nothing: true once done, false when it failed. */
  const done = async (what: string, fn: () => Promise<unknown>): Promise<boolean> => (await guarded(what, async () => (await fn(), true))) ?? false;
  const logParams = async (runId: string | undefined, params: Readonly<Record<string, string | number>>): Promise<boolean> =>
    runId === undefined || Object.keys(params).length === 0 || done('logParams', () => client.logBatch(runId, { params: Object.entries(params).map(([key, v]) => ({ key, value: paramValue(v) })) }));
  return {
    enabled: true,
    trackingUrl,
    startRun: (a) =>
      guarded(
        'startRun',
        async () => {
          experiment ??= client.experimentId(cfg.experiment);
          let id: string;
          try {
            id = await experiment;
          } catch (e) {
            experiment = undefined; // try again next run
            throw e;
          }
          return client.createRun({ experimentId: id, runName: a.runName, startTime: a.startTime, tags: tagsOf(a.tags) });
        },
        a.onFailure,
      ).then(async (runId) => {
        // The run exists once created: a failure to log its params must not lose its id, or
        // nothing would ever end it and MLflow would show it RUNNING for good.
        await logParams(runId, a.params);
        return runId;
      }),
    logParams,
    logMetrics: async (runId, metrics, timestamp, step = 0) => {
      if (runId === undefined) return true;
      const list: MlflowMetric[] = Object.entries(metrics)
        .filter(([, v]) => Number.isFinite(v))
        .map(([key, value]) => ({ key, value, timestamp, step }));
      return done('logMetrics', () => client.logBatch(runId, { metrics: list }));
    },
    logModelVersion: async (runId, a) => {
      if (runId === undefined || !cfg.registerModels) return true;
      return done('logModelVersion', async () => {
        await client.ensureRegisteredModel(a.name);
        await client.createModelVersion({ name: a.name, source: a.source, runId, tags: [{ key: 'sextant.version', value: String(a.version) }] });
      });
    },
    endRun: async (runId, status, endTime, tags = {}) => {
      if (runId === undefined) return true;
      return done('endRun', async () => {
        if (Object.keys(tags).length > 0) await client.logBatch(runId, { tags: tagsOf(tags) });
        await client.updateRun(runId, status, endTime);
      });
    },
  };
}
