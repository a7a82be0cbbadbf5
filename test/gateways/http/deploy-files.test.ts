import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { parsePromText } from './prom-text.js';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('Prometheus and Grafana files', () => {
  it('scrapes the engine at /metrics', () => {
    const cfg = parse(readFileSync(resolve(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[] };
    const job = cfg.scrape_configs.find((j) => j.job_name === 'sextant-engine');
    expect(job?.metrics_path).toBe('/metrics');
    expect(job?.static_configs[0]?.targets.length).toBeGreaterThan(0);
  });

  it('has a Grafana dashboard whose every query names a metric the engine exposes', async () => {
    const dash = JSON.parse(readFileSync(resolve(ROOT, 'deploy/grafana/sextant-dashboard.json'), 'utf8')) as { uid: string; panels: { type: string; targets?: { expr: string }[] }[] };
    expect(dash.uid).toBe('sextant-engine');
    const exprs = dash.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    const m = createEngineMetrics();
    // One of each, so that labelled series exist.
    m.observeStage('decode', 1);
    m.messageIn('sx.md.binance.BTC-USDT.trade');
    m.consumerLag('asset_binance_BTC_USDT', 0);
    m.refusal('SCHEMA', 'asset');
    m.prediction('dirmlp');
    m.riskState('ACTIVE');
    m.servedModel(() => ({ name: 'direction-mlp', version: 1, alias: 'production' }));
    m.wsClosed('slow consumer');
    const exposed = new Set(parsePromText(await m.text()).map((s) => s.name));
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\bsextant_[a-z0-9_]+/g)].map((x) => x[0])));
    for (const name of ['sextant_messages_in_total', 'sextant_consumer_lag', 'sextant_stage_latency_seconds_bucket', 'sextant_refusals_total', 'sextant_predictions_total', 'sextant_orders_total', 'sextant_risk_state', 'sextant_model_version', 'sextant_ws_clients', 'sextant_ws_upstream_up', 'sextant_ws_duplicates_total', 'sextant_state_rebuilds_total'])
      expect(used.has(name)).toBe(true);
    const missing = [...used].filter((n) => !exposed.has(n));
    expect(missing).toEqual([]);
  });
});
