import { describe, expect, it } from 'vitest';
import { startEngine } from '../../cli/engine.js';
import type { ActorSummary } from '../../cli/engine-status-feed.js';
import { startEngineStatusFeed } from '../../cli/engine-status-feed.js';
import { reportServedModel } from '../../cli/served-model-metric.js';
import { feedMetricsFromBus } from '../../gateways/http/metrics-feed.js';
import { createEngineMetrics } from '../../gateways/http/metrics.js';
import { ControlReplySchema } from '../../gateways/control/control-messages.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelVersion, NewModelVersion } from '../../models/registry/model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import type { Logger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { isolatedConfig, trainedRegistry } from '../decision/engine-run.js';
import { parsePromText, sampleValue } from '../gateways/http/prom-text.js';

type Logged = Readonly<{ level: string; fields: Record<string, unknown>; msg: string }>;

const recordingLogger = (out: Logged[]): Logger => {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      out.push({ level, fields, msg });
    };
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
};

const again = (v: ModelVersion, over: Partial<NewModelVersion> = {}): NewModelVersion => {
  const { version: _v, aliases: _a, featureSpecHash: _h, artifactSha256: _s, createdAt: _c, ...rest } = v;
  return { ...rest, parentVersion: v.version, ...over };
};

/** Polls `done` every 5 ms, up to 5 s. */
const until = async (done: () => boolean): Promise<void> => {
  const deadline = performance.now() + 5_000;
  while (!done() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
};

/**
 * A promotion of the served alias made elsewhere (another engine's ctl, `sextant train --promote`
 * with other settings, a direct registry call) was served without the check `ctl model deploy`
 * makes: a 1h engine swapped to a model trained on 5m bars (or reading features it does not
 * compute) and only `ctl model deploy` would have refused it.
 */
describe('a promotion of the served alias to a model this engine cannot serve', () => {
  it('keeps serving the model it has, logs an error naming the version and why, shows it in ctl status, and serves the next promotion that fits', async () => {
    const cfg = isolatedConfig(['BTC/USDT']);
    const subjects = subjectsFor(cfg.prefix);
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const trained = await trainedRegistry(['BTC/USDT'], Date.UTC(2024, 0, 1));
    const v1 = await trained.get('direction-mlp@production');
    const bytes = await trained.artifact(v1);
    // The engine's registry announces on the engine's bus, as any registry the engine shares does.
    const registry = createMemoryModelRegistry({ bus, subjects, clock: { now: () => 0 } });
    await registry.register(again(v1, { parentVersion: null }), bytes);
    await registry.promote('direction-mlp', 1, { actor: 'test', reason: 'champion' });
    const logged: Logged[] = [];
    const engine = await startEngine(
      cfg,
      { bus, features: createMemoryFeatureStore({ historyCap: 2 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore: createMemoryRiskStore(), audit: createMemoryAuditStore() },
      createLiveClock(),
      recordingLogger(logged),
    );
    const status = async (): Promise<Record<string, unknown>> => {
      const raw = await bus.request(subjects.control('status'), new TextEncoder().encode(JSON.stringify({ v: 1, id: `s${logged.length}`, operator: 'carol', args: {} })), 5_000);
      const reply = ControlReplySchema.parse(JSON.parse(new TextDecoder().decode(raw)));
      if (!reply.ok) throw new Error(reply.error.message);
      return reply.result as Record<string, unknown>;
    };
    const errors = (): Logged[] => logged.filter((l) => l.level === 'error');
    // The gateway's metrics, fed from the engine's bus (registry events included) as `sextant run` feeds them.
    const metrics = createEngineMetrics({ defaultMetrics: false });
    const busFeed = feedMetricsFromBus(bus, subjects, metrics);
    reportServedModel(metrics, engine.decisions, cfg.strategy.model);
    const servedGauge = async (): Promise<number | undefined> => sampleValue(parsePromText(await metrics.text()), 'sextant_model_version', { name: 'direction-mlp', alias: 'production' });
    try {
      const d = engine.decisions;
      if (d === undefined) throw new Error('no decision path');
      expect(d.model()).toEqual({ name: 'direction-mlp', version: 1 });
      expect(await servedGauge()).toBe(1);

      // Trained on 5m bars, promoted straight in the registry: the engine decides on 1h bars.
      const fiveMinute = await registry.register(again(v1, { details: { ...v1.details, dataset: { timeframe: '5m' } } }), bytes);
      await registry.promote('direction-mlp', fiveMinute.version, { actor: 'someone-else', reason: 'by hand' });
      await until(() => d.model().version !== 1 || errors().length > 0);
      expect(d.model()).toEqual({ name: 'direction-mlp', version: 1 });
      expect(errors()).toHaveLength(1);
      expect(errors()[0]).toMatchObject({ fields: { model: `direction-mlp@${fiveMinute.version}`, serving: 'direction-mlp@1', reason: 'it was trained on 5m bars; this engine decides on 1h bars' } });
      expect(errors()[0]?.msg).toContain(`direction-mlp@${fiveMinute.version}`);
      expect(errors()[0]?.msg).toContain('keeps serving direction-mlp@1');
      expect(await status()).toMatchObject({
        model: { name: 'direction-mlp', version: 1 },
        modelRefused: { name: 'direction-mlp', version: fiveMinute.version, alias: 'production', reason: 'it was trained on 5m bars; this engine decides on 1h bars' },
        counters: { modelsRefused: 1 },
      });
      // The dashboard's actors topic and /metrics say it too.
      const published: ActorSummary[] = [];
      const feed = startEngineStatusFeed({
        engine,
        hub: { publishLocal: (topic, _key, data) => void (topic === 'actors' && published.push(data as ActorSummary)) },
        metrics,
        bus: { consumerInfo: () => Promise.resolve(undefined) },
        consumers: [],
        intervalMs: 60_000,
        log: recordingLogger([]),
      });
      feed.stop();
      expect(published.find((a) => a.kind === 'decision')).toMatchObject({
        model: 'direction-mlp@1',
        lastError: `refused direction-mlp@${fiveMinute.version} (direction-mlp@production): it was trained on 5m bars; this engine decides on 1h bars`,
        modelRefused: { name: 'direction-mlp', version: fiveMinute.version, alias: 'production', reason: 'it was trained on 5m bars; this engine decides on 1h bars' },
      });
      expect(sampleValue(parsePromText(await metrics.text()), 'sextant_models_refused_total')).toBe(1);
      // The registry's promoted event was on the bus, but the engine serves version 1: so does the gauge.
      expect(await servedGauge()).toBe(1);

      // Reading a feature the engine does not compute: refused too, and it replaces the first.
      const alien = await registry.register(again(v1, { featureSpec: { ...v1.featureSpec, features: ['no_such_feature', ...v1.featureSpec.features.slice(1)] } }), bytes);
      await registry.promote('direction-mlp', alien.version, { actor: 'someone-else', reason: 'by hand' });
      await until(() => d.model().version !== 1 || errors().length > 1);
      expect(d.model().version).toBe(1);
      expect(await status()).toMatchObject({ model: { version: 1 }, modelRefused: { version: alien.version, reason: 'it reads features this engine does not compute: no_such_feature' }, counters: { modelsRefused: 2 } });

      // The next promotion that fits is served, and the refusal no longer shows.
      const fits = await registry.register(again(v1, { metrics: { ...v1.metrics, retrained: 1 } }), bytes);
      await registry.promote('direction-mlp', fits.version, { actor: 'sextant-retraining', reason: 'beats the champion' });
      await until(() => d.model().version === fits.version);
      expect(d.model()).toEqual({ name: 'direction-mlp', version: fits.version });
      expect(await status()).toMatchObject({ model: { version: fits.version }, modelRefused: null, counters: { modelsRefused: 2 } });
      expect(await servedGauge()).toBe(fits.version);
      expect(errors()).toHaveLength(2);
    } finally {
      busFeed.unsubscribe();
      await engine.stop();
      await bus.close();
    }
  }, 30_000);
});
