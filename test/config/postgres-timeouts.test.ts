import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';

// postgres.statementTimeoutMs and postgres.queryTimeoutMs bound the engine stores' statements
// (state/pg-pool.ts; test/contract/pg-timeouts.pg.test.ts for what they do).
describe('postgres.statementTimeoutMs and postgres.queryTimeoutMs', () => {
  it('default to 10 s and 15 s, and are read from the environment', () => {
    expect(loadConfig({ env: {} }).postgres).toMatchObject({ statementTimeoutMs: 10_000, queryTimeoutMs: 15_000 });
    const cfg = loadConfig({ env: { SEXTANT__postgres__statementTimeoutMs: '2000', SEXTANT__postgres__queryTimeoutMs: '3000' } });
    expect(cfg.postgres).toMatchObject({ statementTimeoutMs: 2000, queryTimeoutMs: 3000 });
  });

  it('refuse a query timeout not above the statement timeout, naming the key and why', () => {
    // Equal: the client would give up as the server cancels, and its 'no answer' would hide the server's own error.
    expect(() => loadConfig({ env: { SEXTANT__postgres__queryTimeoutMs: '10000' } })).toThrow(/postgres\.queryTimeoutMs: must be above statementTimeoutMs/);
    expect(() => loadConfig({ env: { SEXTANT__postgres__statementTimeoutMs: '20000' } })).toThrow(/postgres\.queryTimeoutMs: must be above statementTimeoutMs/);
  });

  it('refuse values under 100 ms or not whole', () => {
    expect(() => loadConfig({ env: { SEXTANT__postgres__statementTimeoutMs: '0' } })).toThrow(/postgres\.statementTimeoutMs/);
    expect(() => loadConfig({ env: { SEXTANT__postgres__queryTimeoutMs: '15000.5' } })).toThrow(/postgres\.queryTimeoutMs/);
  });
});
