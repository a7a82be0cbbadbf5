import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../cli/commands/demo.js';
import { resetDemoNamespace } from '../../cli/commands/demo-reset.js';
import { createLogger } from '../../cli/logger.js';
import { connectAdapters } from '../../cli/wiring.js';
import type { Adapters } from '../../cli/wiring.js';
import { loadConfig } from '../../config/load.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { streamSpecs } from '../../streams/provision.js';
import { labelingActorKey } from '../../actors/labeling-actor.js';
import { dropSchema } from '../support/pg.js';

// Its own namespace (streams, Redis keys, PostgreSQL schema), never the one `npm run demo` uses.
const cfg = demoConfig(loadConfig(), ['SOL/USDT'], '1h', `r${randomUUID().replaceAll('-', '').slice(0, 10)}`);

/**
 * A demo run after another, in the same namespace, logged a stream of labeling refusals
 * (PROCESSING_FAILED, 'feature vector f:b:… not in the timeseries store 24 bars after the
 * horizon'): its reset kept the labeling actor's snapshot, so the new labeling actor restored the
 * earlier window's last predictions and orders, still waiting for their horizon, whose vectors the
 * reset had cleared, and refused them once the new window's bars passed them; and it restored the
 * consumer sequences of the streams the reset deleted, skipping the new streams' first messages as
 * handled. The reset now clears the training samples and the actors' snapshots too.
 */
describe("the demo's namespace reset", () => {
  let adapters: Adapters;
  beforeAll(async () => {
    adapters = await connectAdapters(cfg, 'live', createLogger('silent'), createLiveClock());
  });
  afterAll(async () => {
    await adapters.bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await adapters.features.clear();
    await adapters.close();
    await dropSchema(cfg.postgres.url, cfg.postgres.schema);
  });

  it('leaves no labeling or retraining snapshot, nor training sample, of an earlier run', async () => {
    const ts = Date.UTC(2024, 2, 31, 20);
    const sample = {
      strategy: cfg.strategy.name, venue: cfg.venue, symbol: 'SOL/USDT', ts, labeledTs: ts + 4 * 3_600_000, featureId: `f:b:${cfg.venue}:SOL/USDT:1h:${ts}`,
      features: { atr_14: 1 }, label: 0, barrier: 'vertical', outcomeClass: 'neutral', forwardReturn: 0, netReturnBps: -20, horizonBars: 4,
      id: 'p:1', kind: 'prediction', model: { name: 'direction-mlp', version: 1 }, featureSpecHash: 'h',
    } as const;
    const labeling = labelingActorKey(cfg.strategy.name);
    // An earlier run's labeling actor: a sample, and its snapshot with the consumer sequences it reached.
    await adapters.samples.commit({ samples: [sample], snapshot: { actor: labeling, state: { v: 1, seqs: { [`labeling_${cfg.strategy.name}_pred`]: 1536 } }, ts } });
    await adapters.samples.commit({ samples: [], snapshot: { actor: `retraining:${cfg.strategy.name}`, state: { phase: 'idle' }, ts } });
    expect(await adapters.samples.loadSnapshot(labeling)).toBeDefined();

    await resetDemoNamespace(cfg, adapters);

    expect(await adapters.samples.loadSnapshot(labeling)).toBeUndefined();
    expect(await adapters.samples.loadSnapshot(`retraining:${cfg.strategy.name}`)).toBeUndefined();
    expect(await adapters.samples.count()).toBe(0);
  }, 30_000);
});
