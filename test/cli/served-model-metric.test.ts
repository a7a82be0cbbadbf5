import { describe, expect, it } from 'vitest';
import { reportServedModel } from '../../cli/served-model-metric.js';
import { feedMetricsFromBus } from '../../gateways/http/metrics-feed.js';
import { createEngineMetrics } from '../../gateways/http/metrics.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { parsePromText } from '../gateways/http/prom-text.js';

const modelVersions = async (m: ReturnType<typeof createEngineMetrics>): Promise<unknown[]> =>
  parsePromText(await m.text()).filter((s) => s.name === 'sextant_model_version');

const serving = (name: string, version: number): { model(): { name: string; version: number } } => ({ model: () => ({ name, version }) });

describe('sextant_model_version: the version the engine serves', () => {
  it('reports the served version under the alias of strategy.model, before any registry event', async () => {
    const m = createEngineMetrics({ defaultMetrics: false });
    reportServedModel(m, serving('direction-mlp', 3), 'direction-mlp@production');
    expect(await modelVersions(m)).toEqual([expect.objectContaining({ labels: { name: 'direction-mlp', alias: 'production' }, value: 3 })]);
  });

  it('a bare model name is its production alias', async () => {
    const m = createEngineMetrics({ defaultMetrics: false });
    reportServedModel(m, serving('direction-gru', 1), 'direction-gru');
    expect(await modelVersions(m)).toEqual([expect.objectContaining({ labels: { name: 'direction-gru', alias: 'production' }, value: 1 })]);
  });

  it('nothing when no model is served', async () => {
    const m = createEngineMetrics({ defaultMetrics: false });
    reportServedModel(m, undefined, 'direction-mlp@production');
    expect(await modelVersions(m)).toEqual([]);
  });

  it('a pinned version (no alias serves it) is reported under alias "pinned", so the served model still shows', async () => {
    const m = createEngineMetrics({ defaultMetrics: false });
    reportServedModel(m, serving('direction-mlp', 3), 'direction-mlp@3');
    expect(await modelVersions(m)).toEqual([expect.objectContaining({ labels: { name: 'direction-mlp', alias: 'pinned' }, value: 3 })]);
  });

  it('stays on the served version when the alias moves to a version the engine refused, and follows the engine when it swaps', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('smm');
    const m = createEngineMetrics({ defaultMetrics: false });
    const feed = feedMetricsFromBus(bus, subjects, m);
    let served = { name: 'direction-mlp', version: 3 };
    reportServedModel(m, { model: () => served }, 'direction-mlp@production');
    try {
      // The registry moved production to 4; the engine refused it (UnservableModelError) and serves 3.
      const event = { type: 'model.event', v: 1, id: 'm1', ts: 1_700_000_000_000, name: 'direction-mlp', event: 'promoted', version: 4, alias: 'production', previousVersion: 3, actor: 'someone-else', reason: 'by hand' };
      bus.emit(subjects.model('direction-mlp', 'promoted'), new TextEncoder().encode(JSON.stringify(event)));
      await bus.flush();
      const samples = parsePromText(await m.text());
      expect(samples.filter((s) => s.name === 'sextant_messages_in_total').map((s) => s.value)).toEqual([1]); // the event was seen
      expect(samples.filter((s) => s.name === 'sextant_model_version')).toEqual([expect.objectContaining({ labels: { name: 'direction-mlp', alias: 'production' }, value: 3 })]);
      // A later promotion that fits is swapped to: the gauge says so at the next scrape.
      served = { name: 'direction-mlp', version: 5 };
      expect(await modelVersions(m)).toEqual([expect.objectContaining({ labels: { name: 'direction-mlp', alias: 'production' }, value: 5 })]);
    } finally {
      feed.unsubscribe();
      await bus.close();
    }
  });
});
