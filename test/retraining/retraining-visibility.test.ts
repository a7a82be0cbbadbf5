import { describe, expect, it } from 'vitest';
import type { Supervisor } from '../../actors/supervisor.js';
import type { ActorSummary } from '../../cli/engine-status-feed.js';
import { engineConsumers, startEngineStatusFeed } from '../../cli/engine-status-feed.js';
import { loadConfig } from '../../config/load.js';
import { actorRow } from '../../gateways/dashboard/src/actor-view.js';
import { parsePayload } from '../../gateways/dashboard/src/topics.js';
import { createEngineMetrics } from '../../gateways/http/metrics.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { createCounters } from '../../state/counters.js';
import { silentLogger } from '../../state/logger.js';
import { subjectsFor } from '../../streams/subjects.js';
import { parsePromText, sampleValue } from '../gateways/http/prom-text.js';
import { until } from '../labeling/harness.js';
import { publishLabels, retrainingWorld, samplesOf, startWorldActor } from './fixtures.js';

const cfg = { ...loadConfig(), prefix: 'rtv', streamNamePrefix: 'RTV_', assets: [] };
const subjects = subjectsFor(cfg.prefix);
const idleSupervisor: Supervisor = { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [], stop: async () => {} };

/** A cycle every 5 labels, no other trigger; it waits in `collecting` (never enough samples to fit). */
const config = RetrainingConfigSchema.parse({
  enabled: true,
  triggers: { everyLabels: 5, decayWindow: 10_000, psiWindow: 10_000, adwinDelta: 0 },
  training: { minSamples: 100_000, maxSamples: 100_000 },
  consumer: { batchSize: 16, ackWaitMs: 60_000 },
});

describe('the retraining actor as an operator sees it: /metrics, consumer lag and the dashboard', () => {
  it('counts its labels and triggers by cause, says its phase, reports its consumer\'s lag, and keeps the trigger counts across a restart', async () => {
    const world = await retrainingWorld(cfg, subjects);
    let actor = await startWorldActor(world, cfg, subjects, config);
    try {
      const engine = { supervisor: idleSupervisor, counters: createCounters(), decisions: undefined, labeling: undefined, retraining: actor };
      const consumers = engineConsumers(cfg, engine);
      expect(consumers).toEqual(actor.consumers);
      const metrics = createEngineMetrics({ defaultMetrics: false });
      const published: ActorSummary[] = [];
      const feed = startEngineStatusFeed({
        engine,
        hub: { publishLocal: (topic, _key, data) => (topic === 'actors' ? published.push(data as ActorSummary) : undefined) },
        metrics,
        bus: world.bus,
        consumers,
        intervalMs: 60_000,
        log: silentLogger,
      });
      try {
        await publishLabels(world, subjects, samplesOf(200, 8, -1, 2));
        await until('8 labels applied', () => actor.status().counters.labels === 8, 30_000);
        await actor.idle();
        expect(actor.status()).toMatchObject({ phase: 'collecting', trigger: { kind: 'schedule' } });
        expect(actor.status().counters.triggered).toEqual({ schedule: 1, decay: 0, drift: 0, adwin: 0, operator: 0 });

        await feed.pollLag();
        const m = parsePromText(await metrics.text());
        const s1 = { strategy: 's1' };
        expect(sampleValue(m, 'sextant_retraining_labels_total', s1)).toBe(8);
        expect(sampleValue(m, 'sextant_retraining_scored_total', s1)).toBe(8);
        expect(sampleValue(m, 'sextant_retraining_trainings_total', s1)).toBe(0);
        expect(sampleValue(m, 'sextant_retraining_promotions_total', s1)).toBe(0);
        expect(sampleValue(m, 'sextant_retraining_triggers_total', { strategy: 's1', trigger: 'schedule' })).toBe(1);
        expect(sampleValue(m, 'sextant_retraining_triggers_total', { strategy: 's1', trigger: 'operator' })).toBe(0);
        expect(sampleValue(m, 'sextant_retraining_phase', { strategy: 's1', phase: 'collecting' })).toBe(1);
        expect(sampleValue(m, 'sextant_retraining_phase', { strategy: 's1', phase: 'idle' })).toBe(0);
        for (const c of actor.consumers) expect(sampleValue(m, 'sextant_consumer_lag', { durable: c.durable }), c.durable).toBe(0);

        // The dashboard's actors panel: the phase as its state, what it has done under it.
        published.length = 0;
        feed.flush();
        const row = published.find((a) => a.kind === 'retraining');
        expect(row).toMatchObject({ id: 'retraining:s1', state: 'collecting' });
        const parsed = parsePayload('actors', 'retraining:s1', 'delta', JSON.parse(JSON.stringify(row)));
        if (!parsed.ok || parsed.payload.topic !== 'actors') throw new Error('not an actor');
        expect(actorRow(parsed.payload.data).counts).toBe('cycles 0 · trainings 0 · promotions 0 · rejections 0 · rollbacks 0');
      } finally {
        feed.stop();
      }

      // A restart restores the counts from the snapshot (the trigger counts included).
      await actor.stop();
      actor = await startWorldActor(world, cfg, subjects, config);
      expect(actor.status().counters.triggered.schedule).toBe(1);
      expect(actor.status().counters.labels).toBe(8);
    } finally {
      await actor.stop();
      await world.bus.close();
    }
  }, 60_000);
});
