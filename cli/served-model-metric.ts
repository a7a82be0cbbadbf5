import type { EngineMetrics } from '../gateways/http/metrics.js';
import { parseModelRef } from '../models/registry/model-registry.js';
import type { Decisions } from './decisions.js';

/** The `alias` label of `sextant_model_version` when `strategy.model` pins a version (`name@3`). */
const PINNED_ALIAS_LABEL = 'pinned';

/**
 * Makes `sextant_model_version{name,alias}` the version the engine serves, read off its decision
 * path at each scrape under the alias of `strategy.model`. Registry events are not what it serves:
 * a promotion the engine refused (it does not fit the engine, or did not load) leaves it on the
 * model it had, and the gauge says that model. A pinned version (`name@3`: no alias serves it) is
 * reported under `alias="pinned"`, so an operator still sees what serves. Nothing when no model is
 * served.
 *
 * @example reportServedModel(metrics, engine.decisions, cfg.strategy.model)
 */
export function reportServedModel(metrics: Pick<EngineMetrics, 'servedModel'>, decisions: Pick<Decisions, 'model'> | undefined, ref: string): void {
  if (decisions === undefined) return;
  const parsed = parseModelRef(ref);
  const alias = 'alias' in parsed ? parsed.alias : PINNED_ALIAS_LABEL;
  metrics.servedModel(() => {
    const m = decisions.model();
    return m.name === parsed.name ? { name: m.name, version: m.version, alias } : undefined;
  });
}
