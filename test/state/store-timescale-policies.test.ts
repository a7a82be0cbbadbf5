import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { loadConfig } from '../../config/load.js';
import { CONTINUOUS_AGGREGATES, continuousAggregateStatements } from '../../state/pg-timescale-aggregates.js';
import { timescalePolicyStatements } from '../../state/pg-timescale-policies.js';
import { TimescalePoliciesSchema } from '../../state/timescale-policy-config.js';
import type { TimescalePolicies } from '../../state/timescale-policy-config.js';

// Written against TimescaleDB 2.x's documented SQL and checked here as text only: the extension
// cannot be installed on this machine (test/state/store-timescale-pg.test.ts runs what plain PostgreSQL can).
const OFF: TimescalePolicies = TimescalePoliciesSchema.parse({});

describe('TimescaleDB continuous aggregates', () => {
  it('roll 1m bars up into hourly bars per venue and symbol, real-time, through the extension schema', () => {
    const [view, policy] = continuousAggregateStatements('timescale', 'sextant', '"tsdb"');
    expect(view).toBe(
      `CREATE MATERIALIZED VIEW IF NOT EXISTS sextant.bars_1h WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS ` +
        `SELECT venue, symbol, "tsdb".time_bucket(INTERVAL '1 hour', ts) AS bucket, "tsdb".first(open, ts) AS open, max(high) AS high, min(low) AS low, ` +
        `"tsdb".last(close, ts) AS close, sum(volume) AS volume, count(*) AS bars FROM sextant.bars WHERE tf = '1m' ` +
        `GROUP BY venue, symbol, "tsdb".time_bucket(INTERVAL '1 hour', ts) WITH NO DATA`,
    );
    expect(policy).toBe(
      `SELECT "tsdb".add_continuous_aggregate_policy('sextant.bars_1h', start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes', if_not_exists => TRUE)`,
    );
  });

  it('roll trades up into 1m bars per venue and symbol', () => {
    const [view, policy] = continuousAggregateStatements('timescale', 'sextant', '"tsdb"').slice(2);
    expect(view).toBe(
      `CREATE MATERIALIZED VIEW IF NOT EXISTS sextant.trade_bars_1m WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS ` +
        `SELECT venue, symbol, "tsdb".time_bucket(INTERVAL '1 minute', ts) AS bucket, "tsdb".first(price, ts) AS open, max(price) AS high, min(price) AS low, ` +
        `"tsdb".last(price, ts) AS close, sum(qty) AS volume, count(*) AS trades FROM sextant.trades ` +
        `GROUP BY venue, symbol, "tsdb".time_bucket(INTERVAL '1 minute', ts) WITH NO DATA`,
    );
    expect(policy).toBe(
      `SELECT "tsdb".add_continuous_aggregate_policy('sextant.trade_bars_1m', start_offset => INTERVAL '1 day', end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '5 minutes', if_not_exists => TRUE)`,
    );
  });

  it('are idempotent, call no TimescaleDB function unqualified, and default to the public schema', () => {
    const statements = continuousAggregateStatements('timescale', 'sextant');
    expect(statements).toHaveLength(CONTINUOUS_AGGREGATES.length * 2);
    for (const sql of statements) {
      expect(sql).toMatch(/IF NOT EXISTS|if_not_exists => TRUE/);
      expect(sql.match(/(?<![.\w])(time_bucket|first|last|add_continuous_aggregate_policy)\(/g)).toBeNull();
    }
    expect(statements[1]).toMatch(/^SELECT public\.add_continuous_aggregate_policy\(/);
  });

  it('refresh over windows shorter than the least retention the config takes', () => {
    const days = (s: string): number => Number(/^(\d+) days?$/.exec(s)?.[1] ?? Number.NaN);
    for (const a of CONTINUOUS_AGGREGATES) expect(days(a.startOffset)).toBeLessThan(7);
    expect(() => TimescalePoliciesSchema.parse({ retentionDays: { bars: 3 } })).toThrow(/at least 7 days/);
  });

  it('are not created on plain PostgreSQL', () => {
    expect(continuousAggregateStatements('postgres', 'sextant', '"tsdb"')).toEqual([]);
  });
});

describe('TimescaleDB compression and retention policies', () => {
  it('add none by default, on either flavor', () => {
    expect(timescalePolicyStatements('timescale', 'sextant', OFF, '"tsdb"')).toEqual([]);
    expect(timescalePolicyStatements('postgres', 'sextant', OFF, '"tsdb"')).toEqual([]);
  });

  it('turn compression on once, segmented by venue and symbol, and keep one policy at the configured age', () => {
    const statements = timescalePolicyStatements('timescale', 'sextant', { ...OFF, compressAfterDays: 30 }, '"tsdb"');
    expect(statements).toHaveLength(8);
    expect(statements[0]).toBe(
      `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_schema = 'sextant' AND hypertable_name = 'bars' AND compression_enabled) THEN ` +
        `ALTER TABLE sextant.bars SET (timescaledb.compress, timescaledb.compress_segmentby = 'venue, symbol', timescaledb.compress_orderby = 'ts DESC'); END IF; END $$`,
    );
    expect(statements[1]).toBe(
      `DO $$ BEGIN IF EXISTS (SELECT 1 FROM timescaledb_information.jobs WHERE proc_name = 'policy_compression' AND hypertable_schema = 'sextant' AND hypertable_name = 'bars' ` +
        `AND (config->>'compress_after')::interval IS DISTINCT FROM INTERVAL '30 days') THEN PERFORM "tsdb".remove_compression_policy('sextant.bars'); END IF; ` +
        `PERFORM "tsdb".add_compression_policy('sextant.bars', compress_after => INTERVAL '30 days', if_not_exists => TRUE); END $$`,
    );
    // Every market table, in order; never the training samples.
    expect(statements.filter((_, i) => i % 2 === 1).map((s) => /add_compression_policy\('sextant\.(\w+)'/.exec(s)?.[1])).toEqual(['bars', 'trades', 'quotes', 'features']);
    expect(statements.join('\n')).not.toMatch(/training_samples/);
  });

  it('drop chunks per table only where a retention is configured', () => {
    const statements = timescalePolicyStatements('timescale', 'sextant', { ...OFF, retentionDays: { trades: 90, quotes: 30 } }, '"tsdb"');
    expect(statements).toEqual([
      `DO $$ BEGIN IF EXISTS (SELECT 1 FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_schema = 'sextant' AND hypertable_name = 'trades' ` +
        `AND (config->>'drop_after')::interval IS DISTINCT FROM INTERVAL '90 days') THEN PERFORM "tsdb".remove_retention_policy('sextant.trades'); END IF; ` +
        `PERFORM "tsdb".add_retention_policy('sextant.trades', drop_after => INTERVAL '90 days', if_not_exists => TRUE); END $$`,
      `DO $$ BEGIN IF EXISTS (SELECT 1 FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_schema = 'sextant' AND hypertable_name = 'quotes' ` +
        `AND (config->>'drop_after')::interval IS DISTINCT FROM INTERVAL '30 days') THEN PERFORM "tsdb".remove_retention_policy('sextant.quotes'); END IF; ` +
        `PERFORM "tsdb".add_retention_policy('sextant.quotes', drop_after => INTERVAL '30 days', if_not_exists => TRUE); END $$`,
    ]);
  });

  it('add nothing on plain PostgreSQL whatever the config says', () => {
    expect(timescalePolicyStatements('postgres', 'sextant', { compressAfterDays: 7, retentionDays: { bars: 365, trades: 90, quotes: 30, features: 90 } }, '"tsdb"')).toEqual([]);
  });
});

describe('postgres.timescale config', () => {
  it('is off by default and set from the environment', () => {
    expect(loadConfig({ env: {} }).postgres.timescale).toEqual({ retentionDays: {} });
    const cfg = loadConfig({ env: { SEXTANT__postgres__timescale__compressAfterDays: '14', SEXTANT__postgres__timescale__retentionDays__trades: '60' } });
    expect(cfg.postgres.timescale).toEqual({ compressAfterDays: 14, retentionDays: { trades: 60 } });
  });

  it('refuses an unknown table, a fraction of a day and a retention shorter than the aggregates refresh', () => {
    const base = loadConfig({ env: {} });
    const withTs = (timescale: unknown): boolean => ConfigSchema.safeParse({ ...base, postgres: { ...base.postgres, timescale } }).success;
    expect(withTs({ retentionDays: { training_samples: 30 } })).toBe(false);
    expect(withTs({ compressAfterDays: 1.5 })).toBe(false);
    expect(withTs({ retentionDays: { bars: 6 } })).toBe(false);
    expect(withTs({ compressAfterDays: 1, retentionDays: { bars: 7 } })).toBe(true);
  });
});
