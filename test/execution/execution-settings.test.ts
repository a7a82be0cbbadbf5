import { describe, expect, it } from 'vitest';
import { executionSettings } from '../../cli/execution-settings.js';
import { loadConfig } from '../../config/load.js';

const parent = { id: 'p', side: 'buy' as const, qty: 1, arrivalPrice: 100, startTs: 0, horizonMs: 4 * 3_600_000 };
const ctx = { spreadBps: 4, volatility: 0.01, volume: 1_000 };
const cfgSlices = (): number => loadConfig({ env: {} }).execution.slices;

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

  it("a quoted spread stands for a parent's context as long as the paper venue charges it (paperVenue.quoteMaxAgeMs)", () => {
    expect(executionSettings(loadConfig({ env: {} })).quoteMaxAgeMs).toBe(60_000);
    expect(executionSettings(loadConfig({ env: {}, overrides: { paperVenue: { quoteMaxAgeMs: 5_000 } } })).quoteMaxAgeMs).toBe(5_000);
  });

  it('the shipped riskAversion and temporaryImpact (per unit of qty/volume) give a sensible Almgren–Chriss schedule for a 1,000 USDT BTC parent', () => {
    const s = executionSettings(loadConfig({ env: {}, overrides: { strategy: { timeframe: '1h' }, execution: { policy: 'almgren-chriss' } } }));
    expect(s.policy.name).toBe('almgren-chriss');
    // 1,000 USDT at 63,000 against ~500 BTC an hour, σ 0.5 % an hour, over four hours.
    const qty = 1_000 / 63_000;
    const q = s.policy.schedule({ ...parent, qty, arrivalPrice: 63_000 }, { spreadBps: 1, volatility: 0.005, volume: 500, barMs: s.barMs }).map((c) => c.qty);
    const n = cfgSlices();
    expect(q).toHaveLength(n);
    expect(q.reduce((a, b) => a + b, 0)).toBeCloseTo(qty, 15);
    // A small parent in a deep market at a mild risk aversion: barely front-loaded, every slice a real order.
    for (let i = 1; i < n; i++) expect(q[i]).toBeLessThan(q[i - 1] as number);
    expect((q[0] as number) / qty).toBeGreaterThan(1 / n);
    expect((q[0] as number) / qty).toBeLessThan(1.05 / n);
    expect((q.at(-1) as number) / qty).toBeGreaterThan(0.95 / n);
  });

  it("Almgren–Chriss on 1h bars reads ewma_vol per hour: a 4-hour parent is four bars, not 240 one-minute ones", () => {
    const ac = (timeframe: string) => {
      const s = executionSettings(loadConfig({ env: {}, overrides: { strategy: { timeframe }, execution: { policy: 'almgren-chriss', slices: 4, riskAversion: 0.05, temporaryImpact: 0.1 } } }));
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
