import { describe, expect, it } from 'vitest';
import { reportServedModel } from '../../cli/served-model-metric.js';
import { createEngineMetrics } from '../../gateways/http/metrics.js';
import { parsePromText } from '../gateways/http/prom-text.js';

const modelVersions = async (m: ReturnType<typeof createEngineMetrics>): Promise<unknown[]> =>
  parsePromText(await m.text()).filter((s) => s.name === 'sextant_model_version');

describe('sextant_model_version for the model sextant run loaded at start', () => {
  it('reports the served version under the alias of strategy.model, before any registry event', async () => {
    const m = createEngineMetrics({ defaultMetrics: false });
    reportServedModel(m, { name: 'direction-mlp', version: 3 }, 'direction-mlp@production');
    expect(await modelVersions(m)).toEqual([expect.objectContaining({ labels: { name: 'direction-mlp', alias: 'production' }, value: 3 })]);
  });

  it('a bare model name is its production alias', async () => {
    const m = createEngineMetrics({ defaultMetrics: false });
    reportServedModel(m, { name: 'direction-gru', version: 1 }, 'direction-gru');
    expect(await modelVersions(m)).toEqual([expect.objectContaining({ labels: { name: 'direction-gru', alias: 'production' }, value: 1 })]);
  });

  it('nothing when no model is served or the config pins a version (no alias serves it)', async () => {
    const m = createEngineMetrics({ defaultMetrics: false });
    reportServedModel(m, undefined, 'direction-mlp@production');
    reportServedModel(m, { name: 'direction-mlp', version: 3 }, 'direction-mlp@3');
    expect(await modelVersions(m)).toEqual([]);
  });
});
