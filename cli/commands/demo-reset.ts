import type { Config } from '../../config/schema.js';
import { streamSpecs } from '../../streams/provision.js';
import type { Adapters } from '../wiring.js';

/**
 * Resets the demo's namespace so a run starts from nothing an earlier run left: its streams
 * (deleted, made again), features, stored rows, risk book, and the training samples with the
 * labeling and retraining actors' snapshots. Those snapshots hold the consumer sequences of the
 * streams deleted here and the earlier window's last predictions and orders, still waiting for
 * their horizon: kept, the next run's labeling actor skipped the new streams' first messages as
 * handled and refused those items (PROCESSING_FAILED, their vectors cleared from the timeseries
 * store) once its bars passed them. The model registry is kept: its production model is reused
 * when it fits the window (`servableBefore`).
 */
export async function resetDemoNamespace(cfg: Config, adapters: Pick<Adapters, 'bus' | 'features' | 'timeseries' | 'riskStore' | 'samples'>): Promise<void> {
  await adapters.bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
  await adapters.features.clear();
  await adapters.timeseries.clear();
  await adapters.riskStore.clear(cfg.risk.account);
  await adapters.samples.clear();
  await adapters.bus.ensureStreams(streamSpecs(cfg));
}
