import type { TrainingSample } from '../../state/training-sample-store.js';
import type { ModelVersion } from '../registry/model-registry.js';
import { directionOf } from '../training/direction-labels.js';
import type { Direction } from '../training/direction-labels.js';

/**
 * What a direction classifier's classes mean, as its training defined them
 * (models/training/direction-labels.ts): the forward log return over the horizon against a band of
 * ±`kAtr`·ATR14/close known at decision time — down below, up above, flat between.
 */
export type ClassRule = Readonly<{ kAtr: number; source: 'model' | 'config' }>;

/**
 * The class rule of a registered model: `details.labels.kAtr` where its training recorded it
 * (`sextant train`, a retrained challenger), else `fallbackKAtr` (the retraining config's).
 */
export function classRuleOf(model: Pick<ModelVersion, 'details'>, fallbackKAtr: number): ClassRule {
  const labels = model.details['labels'];
  if (typeof labels === 'object' && labels !== null && 'kAtr' in labels) {
    const k: unknown = labels.kAtr;
    if (typeof k === 'number' && Number.isFinite(k) && k >= 0) return { kAtr: k, source: 'model' };
  }
  return { kAtr: fallbackKAtr, source: 'config' };
}

/**
 * The down/flat/up class (0/1/2) of a labeled prediction under `rule`, from its absolute forward
 * log return and the ATR14 and close of its decision-time vector; undefined when the vector lacks
 * them. Not the triple-barrier label: that one is relative to the prediction's direction (+1 is a
 * short's take-profit when the price fell), so it is not a class of the price's move.
 */
export function classOfSample(s: Pick<TrainingSample, 'features' | 'forwardReturn'>, rule: ClassRule): Direction | undefined {
  const atr = s.features['atr_14'];
  const close = s.features['close'];
  if (atr === undefined || atr === null || close === undefined || close === null) return undefined;
  if (!(Number.isFinite(atr) && atr >= 0 && Number.isFinite(close) && close > 0 && Number.isFinite(s.forwardReturn))) return undefined;
  return directionOf(s.forwardReturn, (rule.kAtr * atr) / close);
}
