/**
 * A thin client of the MLflow tracking REST API (2.0), over global fetch. Only the calls the
 * retraining actor needs; every failure is an `MlflowError` (HTTP status and MLflow error code
 * when the server sent one). Timestamps are the caller's (event time), never the wall clock.
 */

export class MlflowError extends Error {
  override readonly name = 'MlflowError';
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null,
  ) {
    super(message);
  }
}

export type MlflowMetric = Readonly<{ key: string; value: number; timestamp: number; step: number }>;
export type MlflowTag = Readonly<{ key: string; value: string }>;
export type MlflowRunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

export type MlflowClient = Readonly<{
  experimentId(name: string): Promise<string>;
  createRun(a: Readonly<{ experimentId: string; runName: string; startTime: number; tags: readonly MlflowTag[] }>): Promise<string>;
  /** Sends nothing when all three are empty; several requests when they pass {@link LOG_BATCH_LIMITS}. */
  logBatch(runId: string, a: Readonly<{ params?: readonly MlflowTag[]; metrics?: readonly MlflowMetric[]; tags?: readonly MlflowTag[] }>): Promise<void>;
  updateRun(runId: string, status: MlflowRunStatus, endTime: number): Promise<void>;
  /** Creates the registered model unless it exists. */
  ensureRegisteredModel(name: string): Promise<void>;
  createModelVersion(a: Readonly<{ name: string; source: string; runId: string; tags: readonly MlflowTag[] }>): Promise<string>;
}>;

export type MlflowClientOptions = Readonly<{ trackingUrl: string; timeoutMs: number; fetch?: typeof fetch }>;

type Json = Record<string, unknown>;

/** What MLflow's `runs/log-batch` takes in one request (its documented limits). */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

/**
 * A reply body that is not MLflow's JSON error (a proxy's HTML page, plain text) as one short
 * line: an HTML page's title, else its text without markup, cut to 120 characters.
 */
export function briefBody(text: string): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
  const plain = (title ?? text.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
  return plain.length > 120 ? `${plain.slice(0, 119)}…` : plain;
}

type Batch = Readonly<{ params: readonly MlflowTag[]; metrics: readonly MlflowMetric[]; tags: readonly MlflowTag[] }>;

/** `b` cut into requests within {@link LOG_BATCH_LIMITS}, in order; none when it is empty. */
export function logBatchChunks(b: Batch): Batch[] {
  const out: Batch[] = [];
  let p = 0;
  let m = 0;
  let t = 0;
  while (p < b.params.length || m < b.metrics.length || t < b.tags.length) {
    const params = b.params.slice(p, p + LOG_BATCH_LIMITS.params);
    const tags = b.tags.slice(t, t + LOG_BATCH_LIMITS.tags);
    const metrics = b.metrics.slice(m, m + Math.min(LOG_BATCH_LIMITS.metrics, LOG_BATCH_LIMITS.total - params.length - tags.length));
    p += params.length;
    t += tags.length;
    m += metrics.length;
    out.push({ params, metrics, tags });
  }
  return out;
}

export function createMlflowClient(o: MlflowClientOptions): MlflowClient {
  const base = o.trackingUrl.replace(/\/+$/, '');
  const doFetch = o.fetch ?? fetch;
  const call = async (method: 'GET' | 'POST', path: string, body?: Json, query?: Record<string, string>): Promise<Json> => {
    const url = `${base}/api/2.0/mlflow/${path}${query !== undefined ? `?${new URLSearchParams(query).toString()}` : ''}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers: body !== undefined ? { 'content-type': 'application/json' } : {},
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (e) {
      // Node's fetch says only "fetch failed"; why (ECONNREFUSED, a DNS miss) is in its cause.
      const cause = (e as Error).cause;
      const why = cause instanceof Error && cause.message !== '' ? ` (${cause.message})` : '';
      throw new MlflowError(`MLflow ${path} at ${base}: ${(e as Error).message}${why}`, null, null);
    }
    const text = await res.text();
    let json: Json = {};
    try {
      json = text === '' ? {} : (JSON.parse(text) as Json);
    } catch {
      if (res.ok) throw new MlflowError(`MLflow ${path}: reply is not JSON`, res.status, null);
    }
    if (!res.ok) {
      const code = typeof json['error_code'] === 'string' ? json['error_code'] : null;
      const message = typeof json['message'] === 'string' ? json['message'] : briefBody(text);
      throw new MlflowError([`MLflow ${path}: HTTP ${res.status}`, code, message].filter((w) => w !== null && w !== '').join(' '), res.status, code);
    }
    return json;
  };
  const field = (j: Json, ...path: string[]): string => {
    let v: unknown = j;
    for (const k of path) v = typeof v === 'object' && v !== null ? (v as Json)[k] : undefined;
    if (typeof v !== 'string') throw new MlflowError(`MLflow reply lacks ${path.join('.')}`, null, null);
    return v;
  };

  return {
    async experimentId(name) {
      try {
        return field(await call('GET', 'experiments/get-by-name', undefined, { experiment_name: name }), 'experiment', 'experiment_id');
      } catch (e) {
        if (!(e instanceof MlflowError) || e.code !== 'RESOURCE_DOES_NOT_EXIST') throw e;
      }
      return field(await call('POST', 'experiments/create', { name }), 'experiment_id');
    },
    async createRun(a) {
      const j = await call('POST', 'runs/create', { experiment_id: a.experimentId, run_name: a.runName, start_time: a.startTime, tags: a.tags });
      return field(j, 'run', 'info', 'run_id');
    },
    async logBatch(runId, a) {
      for (const b of logBatchChunks({ params: a.params ?? [], metrics: a.metrics ?? [], tags: a.tags ?? [] })) {
        await call('POST', 'runs/log-batch', { run_id: runId, params: b.params, metrics: b.metrics, tags: b.tags });
      }
    },
    async updateRun(runId, status, endTime) {
      await call('POST', 'runs/update', { run_id: runId, status, end_time: endTime });
    },
    async ensureRegisteredModel(name) {
      try {
        await call('POST', 'registered-models/create', { name });
      } catch (e) {
        if (!(e instanceof MlflowError) || e.code !== 'RESOURCE_ALREADY_EXISTS') throw e;
      }
    },
    async createModelVersion(a) {
      return field(await call('POST', 'model-versions/create', { name: a.name, source: a.source, run_id: a.runId, tags: a.tags }), 'model_version', 'version');
    },
  };
}
