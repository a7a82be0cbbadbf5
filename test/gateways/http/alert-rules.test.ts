import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createFeedStatusBoard, FEED_STATES, READY_STATES } from '../../../gateways/market-data/feed-status.js';
import { feedStatusMetrics } from '../../../gateways/market-data/feed-status-server.js';
import { createEngineMetrics, TRADING_STATES } from '../../../gateways/http/metrics.js';
import { literalValues, promqlLabelMatchers } from './promql-label-matchers.js';
import type { LabelMatcher } from './promql-label-matchers.js';
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

/**
 * Labels whose values are open (names of venues, symbols, strategies, durables, reasons, NATS
 * clients…, or Prometheus' target labels): a rule's matcher on them is not checked against a set.
 * Any other label a rule matches on must be one whose values the registries below enumerate.
 */
const OPEN_LABELS = new Set(['instance', 'deployment', 'venue', 'symbol', 'stream', 'strategy', 'durable', 'reason', 'source', 'subject', 'connection', 'name', 'alias', 'le', 'quantile']);
/** Labels Prometheus adds to every series it scrapes (prometheus.yml: the job, the target, the static labels). */
const TARGET_LABELS = new Set(['job', 'instance', 'deployment']);

type LabelValues = Map<string, Map<string, Set<string>>>;

/** Every label name and value each metric exposes, by metric (a histogram's `_bucket`, `_sum`, `_count` under its own name). */
async function labelValues(...registries: Registry[]): Promise<LabelValues> {
  const out: LabelValues = new Map();
  for (const r of registries) {
    for (const m of await r.getMetricsAsJSON()) {
      const labels = out.get(m.name) ?? new Map<string, Set<string>>();
      out.set(m.name, labels);
      for (const v of m.values) for (const [k, val] of Object.entries(v.labels)) (labels.get(k) ?? labels.set(k, new Set()).get(k))?.add(String(val));
    }
  }
  return out;
}

/**
 * The registries with a series of every state they enumerate: a feed on the gateway's board (its
 * gauge writes each of FEED_STATES), the engine's trading state (each of TRADING_STATES), a feed
 * it heard of (each state of md.status, and unknown), its stages, order outcomes, a NATS link.
 */
async function populatedLabelValues(): Promise<LabelValues> {
  const engine = createEngineMetrics({ defaultMetrics: false });
  engine.riskState('ACTIVE');
  engine.marketDataFeeds(() => [{ venue: 'binance', symbol: 'BTC/USDT', stream: 'trade', state: 'live', ageMs: 0 }]);
  engine.natsConnection('sextant', () => ({ connected: true, since: '2025-01-01T00:00:00.000Z', disconnects: 0, reconnects: 0, lastOutage: null }));
  const board = createFeedStatusBoard([{ kind: 'trade', venue: 'binance', symbol: 'BTC/USDT' }], () => 0);
  return labelValues(engine.registry, feedStatusMetrics(board, { defaultMetrics: false }));
}

/** The scrape jobs of deploy/prometheus/prometheus.yml: what `job` can be. */
const scrapeJobs = (): Set<string> => {
  const cfg = parse(readFileSync(resolve(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs?: readonly { job_name: string }[] };
  return new Set((cfg.scrape_configs ?? []).map((c) => c.job_name));
};

/** What is wrong with a matcher given the values its label can take, or undefined. */
function matcherProblem(m: LabelMatcher, known: ReadonlySet<string>): string | undefined {
  const literal = literalValues(m);
  if (literal !== undefined) {
    const unknown = literal.filter((v) => !known.has(v));
    return unknown.length > 0 ? `${m.label}${m.op}"${m.value}": ${unknown.map((v) => `"${v}"`).join(', ')} not among ${[...known].join(', ')}` : undefined;
  }
  // Another regex (anchored, as Prometheus anchors it) must match at least one value, or it selects nothing (=~) or everything (!~).
  const re = new RegExp(`^(?:${m.value})$`);
  return [...known].some((v) => re.test(v)) ? undefined : `${m.label}${m.op}"${m.value}" matches none of ${[...known].join(', ')}`;
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

  it('reads label matchers out of PromQL selectors, and the literal values of a matcher', () => {
    const ms = promqlLabelMatchers('sum by (job) (rate(a_bucket{stage="decide",x=~"y|z"}[5m])) > 1 and {__name__="b", s!~"p}q"} or c');
    expect(ms).toEqual([
      { metric: 'a_bucket', label: 'stage', op: '=', value: 'decide' },
      { metric: 'a_bucket', label: 'x', op: '=~', value: 'y|z' },
      { metric: 'b', label: 's', op: '!~', value: 'p}q' },
    ]);
    expect(ms.map(literalValues)).toEqual([['decide'], ['y', 'z'], undefined]);
  });

  it('compares labels only with values the metric exports (states of FEED_STATES, TRADING_STATES…, jobs of prometheus.yml)', async () => {
    const values = await populatedLabelValues();
    // The sets the code exports are what the registries write.
    expect([...(values.get('sextant_market_data_feed_status')?.get('status') ?? [])]).toEqual([...FEED_STATES]);
    expect([...(values.get('sextant_risk_state')?.get('state') ?? [])]).toEqual([...TRADING_STATES]);
    const jobs = scrapeJobs();
    const problems: string[] = [];
    for (const r of rules()) {
      for (const m of promqlLabelMatchers(String(r.expr))) {
        const where = `${String(r.alert)}: ${String(m.metric)}`;
        const base = m.metric?.replace(/_(bucket|sum|count)$/, '');
        const labels = values.get(m.metric ?? '') ?? values.get(base ?? '');
        if (m.label === 'job') {
          const p = matcherProblem(m, jobs);
          if (p !== undefined) problems.push(`${where}: ${p}`);
          continue;
        }
        if (TARGET_LABELS.has(m.label)) continue;
        if (labels === undefined) continue; // an unknown metric: the test above says so
        const known = labels.get(m.label);
        if (known === undefined) {
          // A label the metric has, with no series written here, is open, or this test must learn its values.
          problems.push(OPEN_LABELS.has(m.label) ? `${where} has no label ${m.label}` : `${where}: label ${m.label}: no values known (add a series of each to populatedLabelValues, or the label to OPEN_LABELS)`);
          continue;
        }
        if (OPEN_LABELS.has(m.label)) continue;
        const p = matcherProblem(m, known);
        if (p !== undefined) problems.push(`${where}: ${p}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('leaves every ready feed state (READY_STATES, as /readyz counts them) out of a rule that picks feeds by the states they are not in', () => {
    const negative = rules().flatMap((r) =>
      promqlLabelMatchers(String(r.expr))
        .filter((m) => m.metric === 'sextant_market_data_feed_status' && m.label === 'status' && (m.op === '!=' || m.op === '!~'))
        .map((m) => ({ alert: String(r.alert), left: literalValues(m) ?? [] })),
    );
    expect(negative.length).toBeGreaterThan(0);
    for (const n of negative) expect(n.left, `${n.alert} alerts on a ready feed`).toEqual(expect.arrayContaining([...READY_STATES]));
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
