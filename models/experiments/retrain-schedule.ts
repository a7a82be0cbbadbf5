/**
 * When a model is (re)trained during an out-of-sample window, and on which data. Every point
 * trains on `[at − embargo − trainMs, at − embargo)`: nothing at or after `at − embargo` reaches
 * the model that is served from `at` on. A frozen model is the schedule with one point, the
 * window's start; an online-retrained one adds a point every `everyMs` of event time.
 */

export type RetrainPoint = Readonly<{
  /** Event time from which the model trained here is served. */
  at: number;
  /** First bar (open time) the training may read, inclusive. */
  trainFrom: number;
  /** End of the training data, exclusive: `at − embargo`. A bar is usable when it has closed by then. */
  trainTo: number;
}>;

export type ScheduleOptions = Readonly<{
  /** Window start (inclusive) and end (exclusive), epoch ms. */
  from: number;
  to: number;
  /** Retrain every this many ms of event time; undefined: frozen (one model for the window). */
  everyMs?: number;
  /** Time between the end of a model's training data and the first bar it decides. */
  embargoMs: number;
  /** Length of each training range. */
  trainMs: number;
}>;

/** The retrain points of a window, in time order; the first is always the window start. */
export function retrainSchedule(o: ScheduleOptions): RetrainPoint[] {
  if (!(o.to > o.from)) throw new RangeError(`the window must have from < to, got ${o.from} → ${o.to}`);
  if (!(o.embargoMs >= 0) || !(o.trainMs > 0)) throw new RangeError('embargo must be ≥ 0 and the training range > 0');
  if (o.everyMs !== undefined && !(o.everyMs > 0)) throw new RangeError(`retrain interval must be > 0, got ${o.everyMs}`);
  const point = (at: number): RetrainPoint => ({ at, trainFrom: at - o.embargoMs - o.trainMs, trainTo: at - o.embargoMs });
  if (o.everyMs === undefined) return [point(o.from)];
  const out: RetrainPoint[] = [];
  for (let at = o.from; at < o.to; at += o.everyMs) out.push(point(at));
  return out;
}

/** What one (re)training actually read and produced, as recorded by the experiment. */
export type TrainingRecord = Readonly<{
  /** Event time of the first bar the model decided. */
  at: number;
  trainFrom: number;
  trainTo: number;
  /**
   * `bars` (default): a training on bars; firstBarTs / lastBarTs are the open times of the first
   * and last bar handed to the trainer (over all symbols). `samples`: a challenger the retraining
   * actor fitted on labeled predictions (its registry entry's training range); firstBarTs is the
   * first sample's decision time, lastBarTs the last label's time, `bars` the samples.
   */
  source?: 'bars' | 'samples';
  firstBarTs: number;
  lastBarTs: number;
  bars: number;
  /** `name@version` registered. */
  model: string;
}>;

/**
 * The leak rule on recorded trainings: every bar a training read closed by `at − embargo`
 * (`lastBarTs + barMs ≤ trainTo = at − embargo`) and none is older than its range. Returns one
 * line per violation (empty: no leak).
 */
export function trainingLeaks(records: readonly TrainingRecord[], barMs: number, embargoMs: number): string[] {
  const out: string[] = [];
  for (const r of records) {
    const at = new Date(r.at).toISOString();
    if (r.trainTo > r.at - embargoMs) out.push(`${r.model} (served from ${at}): training range ends ${r.at - r.trainTo} ms before it, embargo is ${embargoMs} ms`);
    if (r.lastBarTs + barMs > r.trainTo) out.push(`${r.model} (served from ${at}): read a bar closing at ${new Date(r.lastBarTs + barMs).toISOString()}, after ${new Date(r.trainTo).toISOString()}`);
    if (r.firstBarTs < r.trainFrom) out.push(`${r.model} (served from ${at}): read a bar from ${new Date(r.firstBarTs).toISOString()}, before its range`);
  }
  return out;
}

/**
 * The leak rule on challengers fitted by the retraining actor (`source: 'samples'`): every sample
 * was labeled — its horizon had passed in event time — before the first bar the model decided
 * (`trainTo ≤ at`: the registry's training range ends one past the last label's time). Returns
 * one line per violation (empty: no leak).
 */
export function sampleTrainingLeaks(records: readonly TrainingRecord[]): string[] {
  const out: string[] = [];
  for (const r of records) {
    if (r.source !== 'samples') continue;
    const at = new Date(r.at).toISOString();
    if (r.trainTo > r.at) out.push(`${r.model} (served from ${at}): trained on a sample labeled at ${new Date(r.trainTo - 1).toISOString()}`);
  }
  return out;
}
