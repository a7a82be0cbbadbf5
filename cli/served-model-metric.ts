import type { EngineMetrics } from '../gateways/http/metrics.js';
import { parseModelRef } from '../models/registry/model-registry.js';
import type { Decisions } from './decisions.js';

/**
 * Makes `sextant_model_version{name,alias}` the version the engine serves, read off its decision
 * path at each scrape under the alias of `strategy.model`. Registry events are not what it serves:
 * a promotion the engine refused (it does not fit the engine, or did not load) leaves it on the
 * model it had, and the gauge says that model. Nothing for a pinned version (`name@3`: no alias
 * serves it) or when no model is served.
 *
 * @example reportServedModel(metrics, engine.decisions, cfg.strategy.model)
 */
export function reportServedModel(metrics: Pick<EngineMetrics, 'servedModel'>, decisions: Pick<Decisions, 'model'> | undefined, ref: string): void {
  if (decisions === undefined) return;
  const parsed = parseModelRef(ref);
  if (!('alias' in parsed)) return;
  const { alias } = parsed;
  metrics.servedModel(() => {
    const m = decisions.model();
    return m.name === parsed.name ? { name: m.name, version: m.version, alias } : undefined;
  });
}
