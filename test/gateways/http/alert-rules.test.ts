import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createFeedStatusBoard } from '../../../gateways/market-data/feed-status.js';
import { feedStatusMetrics } from '../../../gateways/market-data/feed-status-server.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { promqlMetricNames } from './promql-metric-names.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const RULES = 'deploy/prometheus/sextant-alerts.yml';

type Rule = Readonly<{ alert?: unknown; record?: unknown; expr?: unknown; for?: unknown; labels?: Readonly<Record<string, unknown>>; annotations?: Readonly<Record<string, unknown>> }>;
type RuleFile = Readonly<{ groups: readonly Readonly<{ name: string; rules: readonly Rule[] }>[] }>;

/** Series Prometheus makes itself for each scrape target, not any registry's. */
const PROMETHEUS_SERIES = new Set(['up']);

/** The series names a registry exposes: a histogram's `_bucket`, `_sum` and `_count`, a summary's quantiles, `_sum` and `_count`. */
async function exposedNames(registry: Registry): Promise<string[]> {
  return (await registry.getMetricsAsJSON()).flatMap((m) => {
    const t = String(m.type);
    if (t === 'histogram') return [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`];
    if (t === 'summary') return [m.name, `${m.name}_sum`, `${m.name}_count`];
    return [m.name];
  });
}

const rules = (): readonly (Rule & { group: string })[] => {
  const file = parse(readFileSync(resolve(ROOT, RULES), 'utf8')) as RuleFile;
  return file.groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name })));
};

describe(`Prometheus alert rules (${RULES})`, () => {
  it('reads metric names out of PromQL, leaving out functions, keywords, labels, strings and durations', () => {
    expect(promqlMetricNames('histogram_quantile(0.99, sum by (job, le) (rate(a_bucket{stage="decide",x=~"y|z"}[5m]))) > 1e3 and on (instance) b == bool 1')).toEqual(['a_bucket', 'b']);
    expect(promqlMetricNames('increase(c_total[1h] offset 5m) > 0 unless ignoring(x) group_left d:rule')).toEqual(['c_total', 'd:rule']);
    expect(promqlMetricNames('{__name__="e"} or sum without (f) (g)')).toEqual(['e', 'g']);
  });

  it('has alert, expr, for, labels.severity and annotations.summary in every rule, each alert named once', () => {
    const all = rules();
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const r of all) {
      const where = `${r.group}/${String(r.alert)}`;
      expect(typeof r.alert === 'string' && /^[A-Z][A-Za-z0-9]+$/.test(r.alert), `${where}: alert`).toBe(true);
      expect(typeof r.expr === 'string' && r.expr.trim() !== '', `${where}: expr`).toBe(true);
      expect(typeof r.for === 'string' && /^\d+[smh]$/.test(r.for), `${where}: for`).toBe(true);
      expect(['critical', 'warning', 'info'], `${where}: labels.severity`).toContain(r.labels?.['severity']);
      expect(typeof r.annotations?.['summary'] === 'string' && r.annotations['summary'].trim() !== '', `${where}: annotations.summary`).toBe(true);
    }
    const names = all.map((r) => r.alert);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it("names in each expr only metrics the engine's or the market-data gateway's registry exports", async () => {
    const exported = new Set([...(await exposedNames(createEngineMetrics().registry)), ...(await exposedNames(feedStatusMetrics(createFeedStatusBoard([], () => 0))))]);
    const unknown: string[] = [];
    for (const r of rules()) {
      const used = promqlMetricNames(String(r.expr));
      expect(used.length, `${String(r.alert)} names no metric`).toBeGreaterThan(0);
      for (const n of used) if (!exported.has(n) && !PROMETHEUS_SERIES.has(n)) unknown.push(`${String(r.alert)}: ${n}`);
    }
    expect(unknown).toEqual([]);
  });

  it('is loaded by deploy/prometheus/prometheus.yml, which sends what fires to an Alertmanager', () => {
    const cfg = parse(readFileSync(resolve(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      rule_files?: string[];
      alerting?: { alertmanagers?: readonly { static_configs?: readonly { targets?: readonly string[] }[] }[] };
    };
    expect(cfg.rule_files).toContain('sextant-alerts.yml');
    // Rules without an Alertmanager fire nowhere but Prometheus' /alerts page.
    const targets = (cfg.alerting?.alertmanagers ?? []).flatMap((a) => (a.static_configs ?? []).flatMap((c) => c.targets ?? []));
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) expect(t).toMatch(/^[\w.-]+:\d+$/);
  });
});
