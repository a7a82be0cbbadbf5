import { describe, expect, it } from 'vitest';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { createCounters } from '../../../state/counters.js';
import { parsePromText, sampleValue } from './prom-text.js';

describe('engine counts on /metrics', () => {
  it('reads actor restarts and state rebuilds off the engine counters at each scrape, as counters that only grow', async () => {
    const metrics = createEngineMetrics({ defaultMetrics: false });
    const scrape = async (): Promise<[number | undefined, number | undefined]> => {
      const m = parsePromText(await metrics.text());
      return [sampleValue(m, 'sextant_actor_restarts_total'), sampleValue(m, 'sextant_state_rebuilds_total')];
    };
    expect(await scrape()).toEqual([0, 0]); // before an engine is attached
    const counters = createCounters();
    metrics.engineCounts(() => counters);
    expect(await scrape()).toEqual([0, 0]);
    counters.restarts += 2;
    counters.rebuilds += 1;
    expect(await scrape()).toEqual([2, 1]);
    expect(await scrape()).toEqual([2, 1]); // a scrape counts nothing by itself
    counters.rebuilds += 3;
    expect(await scrape()).toEqual([2, 4]);
    expect(await metrics.text()).toMatch(/# TYPE sextant_state_rebuilds_total counter/);
  });

  it('counts intents published without a target under equity sizing (no conversion mid yet) off the decision path, per strategy', async () => {
    const metrics = createEngineMetrics({ defaultMetrics: false });
    const counts = { expired: 0, expiredAtGap: 0, expiriesIgnored: 0, expiriesConfirming: 0, releasedAfterGrace: 0, intentsUnsized: 0 };
    metrics.decisionCounts('dirmlp', () => counts);
    const unsized = async (): Promise<number | undefined> => sampleValue(parsePromText(await metrics.text()), 'sextant_intents_unsized_total', { strategy: 'dirmlp' });
    expect(await unsized()).toBe(0);
    counts.intentsUnsized = 3;
    expect(await unsized()).toBe(3);
    expect(await metrics.text()).toMatch(/# TYPE sextant_intents_unsized_total counter/);
  });

  it('counts expiries that repeat a final fill apart from late or duplicate ones', async () => {
    const metrics = createEngineMetrics({ defaultMetrics: false });
    const counts = { expired: 0, expiredAtGap: 0, expiriesIgnored: 0, expiriesConfirming: 0, releasedAfterGrace: 0, intentsUnsized: 0 };
    metrics.decisionCounts('dirmlp', () => counts);
    const read = async (): Promise<[number | undefined, number | undefined]> => {
      const samples = parsePromText(await metrics.text());
      return [sampleValue(samples, 'sextant_expiries_confirming_total', { strategy: 'dirmlp' }), sampleValue(samples, 'sextant_expiries_ignored_total', { strategy: 'dirmlp' })];
    };
    expect(await read()).toEqual([0, 0]);
    counts.expiriesConfirming = 2;
    counts.expiriesIgnored = 1;
    expect(await read()).toEqual([2, 1]);
    expect(await metrics.text()).toMatch(/# TYPE sextant_expiries_confirming_total counter/);
  });

  it('counts orders risk released unreported at the end of their grace off the decision path, per strategy', async () => {
    const metrics = createEngineMetrics({ defaultMetrics: false });
    const counts = { expired: 0, expiredAtGap: 0, expiriesIgnored: 0, expiriesConfirming: 0, releasedAfterGrace: 0, intentsUnsized: 0 };
    metrics.decisionCounts('dirmlp', () => counts);
    const released = async (): Promise<number | undefined> => sampleValue(parsePromText(await metrics.text()), 'sextant_orders_released_after_grace_total', { strategy: 'dirmlp' });
    expect(await released()).toBe(0);
    counts.releasedAfterGrace = 2;
    expect(await released()).toBe(2);
    expect(await metrics.text()).toMatch(/# TYPE sextant_orders_released_after_grace_total counter/);
  });
});
