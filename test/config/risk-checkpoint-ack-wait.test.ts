import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/load.js';
import { ConfigSchema } from '../../config/schema.js';

// An asset actor's market data is acknowledged only once a risk write after it is stored
// (actors/risk-checkpoints.ts): writes spaced beyond the ack wait stopped the engine deciding
// (SEXTANT__consumer__batchSize=8, decision.riskCheckpointMs=600000 against the default 30 s).
describe('decision.riskCheckpointMs against consumer.ackWaitMs', () => {
  it('refuses a spacing of more than half the ack wait at load, naming both keys and what to set', () => {
    const env = { SEXTANT__consumer__batchSize: '8', SEXTANT__decision__riskCheckpointMs: '600000' };
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(
      /decision\.riskCheckpointMs: 600000 is more than half of consumer\.ackWaitMs \(30000\).*Set decision\.riskCheckpointMs to at most 15000 \(default 200\), or consumer\.ackWaitMs to at least 1200000/,
    );
    // Just past half.
    expect(() => loadConfig({ env: { SEXTANT__decision__riskCheckpointMs: '15001' } })).toThrow(/decision\.riskCheckpointMs: 15001 is more than half/);
    // A shorter ack wait under the default spacing.
    expect(() => loadConfig({ env: { SEXTANT__consumer__ackWaitMs: '300' } })).toThrow(/decision\.riskCheckpointMs: 200 is more than half of consumer\.ackWaitMs \(300\)/);
  });

  it('takes half the ack wait or less, a longer ack wait, and no spacing at all', () => {
    expect(loadConfig({ env: {} }).decision.riskCheckpointMs).toBe(200);
    expect(loadConfig({ env: { SEXTANT__decision__riskCheckpointMs: '15000' } }).decision.riskCheckpointMs).toBe(15_000);
    const raised = loadConfig({ env: { SEXTANT__decision__riskCheckpointMs: '600000', SEXTANT__consumer__ackWaitMs: '1200000' } });
    expect([raised.decision.riskCheckpointMs, raised.consumer.ackWaitMs]).toEqual([600_000, 1_200_000]);
    // Left out (written after every release): nothing to compare, whatever the ack wait.
    const base = loadConfig({ env: {} });
    const unspaced = ConfigSchema.safeParse({ ...base, consumer: { ...base.consumer, ackWaitMs: 1 }, decision: { idleFlushMs: base.decision.idleFlushMs } });
    expect(unspaced.success).toBe(true);
  });

  it('turns the spacing off from the environment or a -c file with 0 or off (a write after every release), whatever the ack wait', () => {
    // Before, only editing config/default.yaml could: neither unsets its key, and 0 was refused.
    for (const v of ['0', 'off']) {
      const cfg = loadConfig({ env: { SEXTANT__decision__riskCheckpointMs: v, SEXTANT__consumer__ackWaitMs: '300' } });
      expect(cfg.decision.riskCheckpointMs).toBeUndefined();
      expect(cfg.consumer.ackWaitMs).toBe(300);
    }
    const dir = mkdtempSync(join(tmpdir(), 'sextant-cfg-'));
    try {
      const file = join(dir, 'unspaced.yaml');
      writeFileSync(file, 'decision:\n  riskCheckpointMs: off\n');
      expect(loadConfig({ file, env: {} }).decision.riskCheckpointMs).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const v of ['-1', '1.5', 'of', 'true']) {
      expect(() => loadConfig({ env: { SEXTANT__decision__riskCheckpointMs: v } })).toThrow(/decision\.riskCheckpointMs: a whole number of ms, or 0 or off to write after every release/);
    }
  });
});
