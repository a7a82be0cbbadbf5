import { describe, expect, it } from 'vitest';
import { executionSettings } from '../../cli/execution-settings.js';
import { loadConfig } from '../../config/load.js';

const parent = { id: 'p', side: 'buy' as const, qty: 1, arrivalPrice: 100, startTs: 0, horizonMs: 4 * 3_600_000 };
const ctx = { spreadBps: 4, volatility: 0.01, volume: 1_000 };

describe('execution settings from the config', () => {
  it('the shipped config: a TWAP for intents, an immediate close re-priced every minute for flattening', () => {
    const cfg = loadConfig({ env: {}, overrides: { strategy: { timeframe: '1h' } } });
    const s = executionSettings(cfg);
    expect(s.barMs).toBe(3_600_000);
    expect(s.policy.name).toBe('twap');
    expect(s.flattenPolicy.name).toBe('immediate');
    const [close, ...more] = s.flattenPolicy.schedule({ ...parent, side: 'sell' }, { ...ctx, barMs: s.barMs });
    expect(more).toEqual([]);
    expect(close).toMatchObject({ atTs: 0, qty: 1, orderType: 'limit', ttlMs: 60_000 });
    expect(s.flattenEveryMs).toBe(60_000);
    expect(close?.limitOffsetBps).toBe(-(2 + cfg.execution.crossBps));
  });

  it('flattenWith: policy closes through the configured policy, a bar apart; flattenTtlMs sets the immediate close\'s life and spacing', () => {
    const s = executionSettings(loadConfig({ env: {}, overrides: { strategy: { timeframe: '1h' }, execution: { flattenWith: 'policy' } } }));
    expect(s.flattenPolicy).toBe(s.policy);
    expect(s.flattenEveryMs).toBe(3_600_000);
    const quick = executionSettings(loadConfig({ env: {}, overrides: { execution: { flattenTtlMs: 15_000 } } }));
    expect(quick.flattenPolicy.schedule({ ...parent, side: 'sell' }, { ...ctx, barMs: quick.barMs })[0]?.ttlMs).toBe(15_000);
    expect(quick.flattenEveryMs).toBe(15_000);
    expect(() => loadConfig({ env: {}, overrides: { execution: { flattenTtlMs: 0 } } })).toThrow(/flattenTtlMs/);
  });

  it("Almgren–Chriss on 1h bars reads ewma_vol per hour: a 4-hour parent is four bars, not 240 one-minute ones", () => {
    const ac = (timeframe: string) => {
      const s = executionSettings(loadConfig({ env: {}, overrides: { strategy: { timeframe }, execution: { policy: 'almgren-chriss', slices: 4, riskAversion: 50, temporaryImpact: 0.1 } } }));
      return s.policy.schedule(parent, { ...ctx, barMs: s.barMs }).map((c) => c.qty);
    };
    const hourly = ac('1h');
    const minutely = ac('1m');
    for (const q of [hourly, minutely]) expect(q.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // Front-loaded over four hourly bars; read as 240 one-minute bars of the same σ, all of it would go at once.
    expect(hourly).toHaveLength(4);
    for (let i = 1; i < 4; i++) expect(hourly[i]).toBeLessThan(hourly[i - 1] as number);
    expect(hourly[0]).toBeGreaterThan(0.27);
    expect(hourly[0]).toBeLessThan(0.32);
    expect(minutely[0]).toBeGreaterThan(0.999);
  });
});
