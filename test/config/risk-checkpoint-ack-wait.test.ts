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
});
