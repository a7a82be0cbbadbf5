import { describe, expect, it } from 'vitest';
import { CREATE_TIMESCALE_SQL, HYPERTABLES, hypertableStatements, timescaleStep } from '../../state/pg-timescale.js';

// The Timescale path cannot run on this machine (no extension); its decisions and SQL can.
describe('TimescaleDB path', () => {
  it('uses the extension when installed, tries to create it when only packaged, else stays plain', () => {
    expect(timescaleStep({ installed: true, available: true })).toBe('use');
    expect(timescaleStep({ installed: false, available: true })).toBe('create');
    expect(timescaleStep({ installed: false, available: false })).toBe('plain');
  });

  it('turns every table into a hypertable on ts, idempotently and keeping existing rows', () => {
    const statements = hypertableStatements('timescale', 'sextant', '"tsdb"');
    expect(statements).toHaveLength(HYPERTABLES.length + 1);
    for (const [i, t] of ['bars', 'trades', 'quotes', 'features'].entries()) {
      expect(statements[i]).toBe(
        `SELECT "tsdb".create_hypertable('sextant.${t}', 'ts', chunk_time_interval => INTERVAL '7 days', if_not_exists => TRUE, migrate_data => TRUE)`,
      );
    }
    // The training samples too, by decision time, through the same schema (not the store's own pool).
    expect(statements[HYPERTABLES.length]).toBe(
      `SELECT "tsdb".create_hypertable('sextant.training_samples', 'decision_ts', chunk_time_interval => INTERVAL '30 days', if_not_exists => TRUE, migrate_data => TRUE)`,
    );
    // Where the probe names no schema, where the extension is created (test/state/store-timescale-pg.test.ts runs them).
    expect(hypertableStatements('timescale', 'sextant')[0]).toMatch(/^SELECT public\.create_hypertable\('sextant\.bars'/);
    expect(CREATE_TIMESCALE_SQL).toBe('CREATE EXTENSION IF NOT EXISTS timescaledb SCHEMA public');
  });

  it('leaves plain PostgreSQL tables alone', () => {
    expect(hypertableStatements('postgres', 'sextant')).toEqual([]);
  });
});
