import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startGatewayRuntime } from '../../../cli/gateway-runtime.js';
import { ConfigError, loadConfig } from '../../../config/load.js';
import { renamedSettingWarnings } from '../../../gateways/http/gateway-config.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import type { Logger } from '../../../state/logger.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { NATS_URL } from './gateway-harness.js';

type Line = Readonly<{ level: string; msg: string }>;
const recordingLogger = (lines: Line[]): Logger => {
  const at = (level: string) => (_fields: Record<string, unknown>, msg: string): void => void lines.push({ level, msg });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
};

const gatewayOf = (gateway: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => loadConfig({ env, overrides: { gateway } }).gateway;

/**
 * `gateway.maxPendingSlots` has counted frames (one per order, reject and fill, not per slot)
 * since orders stopped conflating, so its name said something else than what it bounds. It is
 * `maxPendingFrames` now; the old name is still read, with a warning when the gateway starts, and
 * a config that sets both is refused, naming them.
 */
describe('websocket feed: maxPendingFrames, and maxPendingSlots as its deprecated name', () => {
  it('reads maxPendingFrames (default 10 000) from the config and the environment', () => {
    const d = gatewayOf({});
    expect(d.maxPendingFrames).toBe(10_000);
    expect(renamedSettingWarnings(d)).toEqual([]);
    expect(gatewayOf({ maxPendingFrames: 50 }).maxPendingFrames).toBe(50);
    expect(gatewayOf({}, { SEXTANT__gateway__maxPendingFrames: '70' }).maxPendingFrames).toBe(70);
    for (const bad of [0, -1, 1.5, 'many']) expect(() => gatewayOf({ maxPendingFrames: bad })).toThrow(/gateway\.maxPendingFrames/);
  });

  it('reads maxPendingSlots as maxPendingFrames, with a warning that names the new name', () => {
    const g = gatewayOf({ maxPendingSlots: 50 });
    expect(g.maxPendingFrames).toBe(50);
    expect(renamedSettingWarnings(g)).toEqual([
      'gateway.maxPendingSlots is deprecated: read as gateway.maxPendingFrames; rename it in your config (or SEXTANT__gateway__maxPendingFrames in the environment)',
    ]);
    expect(gatewayOf({}, { SEXTANT__gateway__maxPendingSlots: '80' }).maxPendingFrames).toBe(80);
  });

  it('refuses a config that sets both, naming them', () => {
    const both = (): unknown => gatewayOf({ maxPendingFrames: 50 }, { SEXTANT__gateway__maxPendingSlots: '80' });
    expect(both).toThrow(ConfigError);
    expect(both).toThrow('gateway.maxPendingSlots: the old name of maxPendingFrames: set maxPendingFrames only (both are set: maxPendingFrames 50, maxPendingSlots 80)');
  });

  it('warns when the gateway starts with the old name, and only then (real NATS)', async () => {
    const bus = await createNatsBus({ url: NATS_URL, name: 'feed-pending-frames', connectTimeoutMs: 3000 });
    try {
      const warnings = async (gateway: Record<string, unknown>): Promise<string[]> => {
        const t = randomBytes(5).toString('hex');
        const cfg = loadConfig({ env: {}, overrides: { prefix: `pf${t}`, streamNamePrefix: `PF${t}_`, gateway: { enabled: true, port: 0, ...gateway } } });
        const lines: Line[] = [];
        const runtime = await startGatewayRuntime(cfg, bus, {}, recordingLogger(lines), { env: { SEXTANT_VIEWER_TOKEN: 'v', SEXTANT_OPERATOR_TOKEN: 'o' }, metrics: createEngineMetrics({ defaultMetrics: false }) });
        await runtime.close();
        return lines.filter((l) => l.level === 'warn' && l.msg.includes('maxPending')).map((l) => l.msg);
      };
      expect(await warnings({ maxPendingSlots: 500 })).toEqual([expect.stringMatching(/^gateway\.maxPendingSlots is deprecated: read as gateway\.maxPendingFrames/)]);
      expect(await warnings({ maxPendingFrames: 500 })).toEqual([]);
    } finally {
      await bus.close();
    }
  });
});
