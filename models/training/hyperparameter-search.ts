import { checkSpace } from './search-space.js';
import type { Params, Sampler, SearchSpace, Trial } from './search-space.js';

export type Objective = (params: Params, trial: number) => Promise<Readonly<{ loss: number; detail?: Readonly<Record<string, unknown>> }>>;

export type SearchResult = Readonly<{ sampler: string; trials: readonly Trial[]; best: Trial }>;

export type SearchOptions = Readonly<{
  space: SearchSpace;
  sampler: Sampler;
  trials: number;
  objective: Objective;
  onTrial?: (t: Trial) => void;
  /** Checked before each trial; true ends the search with the trials so far. */
  cancelled?: () => boolean;
}>;

/**
 * Runs `trials` evaluations one after another, each proposed by the sampler from the trials
 * before it, and returns them with the best (lowest finite loss; the earliest on a tie). An
 * objective that throws is recorded as a failed trial (loss ∞, the message in `detail`) and the
 * search goes on: one diverging configuration should not end a night's search.
 */
export async function runSearch(opts: SearchOptions): Promise<SearchResult> {
  checkSpace(opts.space);
  if (!Number.isInteger(opts.trials) || opts.trials < 1) throw new RangeError(`trials must be a positive integer, got ${opts.trials}`);
  const trials: Trial[] = [];
  for (let i = 0; i < opts.trials; i++) {
    if (opts.cancelled?.() === true) break;
    const params = opts.sampler.suggest(opts.space, trials);
    let trial: Trial;
    try {
      const r = await opts.objective(params, i);
      trial = { index: i, params, loss: Number.isFinite(r.loss) ? r.loss : Infinity, ...(r.detail !== undefined ? { detail: r.detail } : {}) };
    } catch (e) {
      trial = { index: i, params, loss: Infinity, detail: { error: e instanceof Error ? e.message : String(e) } };
    }
    trials.push(trial);
    opts.onTrial?.(trial);
  }
  if (trials.length === 0) throw new RangeError('the search was cancelled before any trial ran');
  const best = trials.reduce((a, b) => (b.loss < a.loss ? b : a));
  return { sampler: opts.sampler.name, trials, best };
}
