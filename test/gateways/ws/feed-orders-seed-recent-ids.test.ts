import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startGatewayRuntime } from '../../../cli/gateway-runtime.js';
import { loadConfig } from '../../../config/load.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import type { Logger } from '../../../state/logger.js';
import { READ_STORED_MAX } from '../../../streams/bus.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../../streams/provision.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { json, NATS_URL, VIEWER } from './gateway-harness.js';

const H = 3_600_000;
const T0 = 100 * H;
const order = (id: string) => ({
  type: 'exec.order', v: 1, id, ts: T0, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', suggestionId: `s${id}`, side: 'buy', qty: 1,
  orderType: 'limit', limitPrice: 62_000, expiresAt: T0 + H, reducing: false,
});

/** A logger that keeps every line (info and warn) with its fields. */
const recordingLogger = (lines: Record<string, unknown>[]): Logger => {
  const noop = (): void => undefined;
  const keep = (fields: Record<string, unknown>, msg: string): void => void lines.push({ ...fields, msg });
  const log: Logger = { debug: noop, info: keep, warn: keep, error: noop, child: () => log };
  return log;
};

/**
 * The gateway remembers the last `gateway.recentIds` approved orders (default 10,000), and a fill of
 * one it does not know is withheld from the feed; its start-up read of the stored orders took the
 * newest 10,000 whatever that setting said, so a desk that raised it (more orders a day than
 * that) still lost the older ones at every gateway restart.
 */
describe('websocket feed: the start-up read of the stored orders under a raised gateway.recentIds', () => {
  it('reads as many stored orders as gateway.recentIds, past the default 10,000 (real NATS)', async () => {
    const stored = READ_STORED_MAX + 3;
    const prefix = `osr${randomBytes(5).toString('hex')}`;
    const cfg = loadConfig({ env: {}, overrides: { prefix, streamNamePrefix: `${prefix.toUpperCase()}_`, gateway: { enabled: true, port: 0, recentIds: stored + 10 } } });
    const bus = await createNatsBus({ url: NATS_URL, name: 'feed-orders-seed-recent-ids', connectTimeoutMs: 3000 });
    const specs = streamSpecs(cfg, { storage: 'memory' });
    const subjects = subjectsFor(cfg.prefix);
    const lines: Record<string, unknown>[] = [];
    try {
      await bus.ensureStreams(specs);
      const subject = subjects.order('dirmlp', 'binance', 'BTC/USDT');
      for (let from = 0; from < stored; from += 500) {
        const ids = Array.from({ length: Math.min(500, stored - from) }, (_, i) => `o:${from + i}`);
        await Promise.all(ids.map((id) => bus.publish(subject, json(order(id)))));
      }
      const runtime = await startGatewayRuntime(cfg, bus, {}, recordingLogger(lines), { env: { SEXTANT_VIEWER_TOKEN: VIEWER }, metrics: createEngineMetrics({ defaultMetrics: false }) });
      await runtime.close();
      const seed = lines.filter((l) => 'orders' in l && l['stream'] === streamName(cfg, 'SIGNALS'));
      expect(seed).toMatchObject([{ orders: stored, msg: 'feed learnt the approved orders from the stream' }]);
    } finally {
      await bus.deleteStreams(specs.map((s) => s.name)).catch(() => undefined);
      await bus.close();
    }
  }, 60_000);
});
