import type { EngineMetrics } from '../gateways/http/metrics.js';
import { parseModelRef } from '../models/registry/model-registry.js';

/**
 * Sets `sextant_model_version{name,alias}` for the model the engine loaded at start. The metrics
 * feed sets it only from registry events (`sx.model.…`), so without this an engine that loaded
 * `direction-mlp@production` and saw no promotion since showed no served version at all. Nothing
 * for a pinned version (`name@3`: no alias serves it) or when no model is served.
 *
 * @example reportServedModel(metrics, engine.decisions?.model(), cfg.strategy.model)
 */
export function reportServedModel(metrics: Pick<EngineMetrics, 'modelVersion'>, served: Readonly<{ name: string; version: number }> | undefined, ref: string): void {
  if (served === undefined) return;
  const parsed = parseModelRef(ref);
  if ('alias' in parsed && parsed.name === served.name) metrics.modelVersion(served.name, served.version, parsed.alias);
}
