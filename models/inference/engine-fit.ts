import { FEATURE_NAMES } from '../features/feature-names.js';
import type { ModelVersion } from '../registry/model-registry.js';
import { sequenceWindowOf } from '../registry/sequence-window.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { Timeframe } from '../../streams/messages/bar.js';

/** The bar timeframe a model was trained on, from its registered details (`sextant train`, the demo and retraining record it). */
export function trainedTimeframe(v: Pick<ModelVersion, 'details'>): string | undefined {
  const ds = v.details['dataset'];
  const tf = typeof ds === 'object' && ds !== null ? (ds as Record<string, unknown>)['timeframe'] : undefined;
  return typeof tf === 'string' ? tf : undefined;
}

const KNOWN: ReadonlySet<string> = new Set(FEATURE_NAMES);

/**
 * Why an engine deciding on `timeframe` bars cannot serve `v`, or undefined. A model that reads
 * a feature the engine does not compute skips every bar (`MISSING_FEATURE`) without a word; one
 * trained on other bars reads its inputs and horizon in bars of another length; a sequence model
 * whose window steps are not the engine's bars never gets a window together.
 *
 * @example engineFitProblem(await registry.get('direction-mlp@7'), { timeframe: '1h' }); // 'it was trained on 5m bars; this engine decides on 1h bars'
 */
export function engineFitProblem(v: Pick<ModelVersion, 'featureSpec' | 'details'>, engine: Readonly<{ timeframe: Timeframe }>): string | undefined {
  const unknown = v.featureSpec.features.filter((f) => !KNOWN.has(f));
  if (unknown.length > 0) return `it reads features this engine does not compute: ${unknown.join(', ')}`;
  const tf = trainedTimeframe(v);
  if (tf !== undefined && tf !== engine.timeframe) return `it was trained on ${tf} bars; this engine decides on ${engine.timeframe} bars`;
  const w = sequenceWindowOf(v);
  const barMs = TIMEFRAME_MS[engine.timeframe];
  if (w !== undefined && w.steps > 1 && w.stepMs !== barMs) return `its input window steps ${w.stepMs} ms; this engine's ${engine.timeframe} bars are ${barMs} ms apart`;
  return undefined;
}

/**
 * A model version an engine will not swap to: it does not fit the engine ({@link engineFitProblem})
 * or could not be loaded. Not retryable: the same version fails the same way; the engine keeps
 * serving the model it has until the alias moves to one it can serve.
 */
export class UnservableModelError extends Error {
  override readonly name = 'UnservableModelError';
  readonly retryable = false;
  constructor(
    /** `name@version` of the refused version. */
    readonly model: string,
    /** Why, e.g. `it was trained on 5m bars; this engine decides on 1h bars`. */
    readonly reason: string,
  ) {
    super(`this engine cannot serve ${model}: ${reason}`);
  }
}
