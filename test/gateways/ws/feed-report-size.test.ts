import { describe, expect, it } from 'vitest';
import { startGatewayRuntime } from '../../../cli/gateway-runtime.js';
import { loadConfig } from '../../../config/load.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { silentLogger } from '../../../state/logger.js';
import { encode, utf8 } from '../../../streams/codec.js';
import { createMemoryBus } from '../../../streams/memory-bus.js';
import { streamSpecs } from '../../../streams/provision.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { decodeFill } from '../../../streams/validation/decode-fill.js';
import { knownAssets } from '../../../streams/validation/known-assets.js';
import { until, VIEWER } from './gateway-harness.js';

const H = 3_600_000;
const T0 = 100 * H;
const S = 'BTC/USDT';
const order = { type: 'exec.order', v: 1, id: 'o:a', ts: T0, strategy: 'dirmlp', venue: 'binance', symbol: S, suggestionId: 's:a', side: 'buy', qty: 1, orderType: 'limit', limitPrice: 62_000, expiresAt: T0 + H, reducing: false };
const fill = (n: number) => ({ type: 'exec.fill', v: 1, id: `x:o:a:${n}`, ts: T0, orderId: 'o:a', strategy: 'dirmlp', venue: 'binance', symbol: S, side: 'buy', qty: 0.1, price: 62_000, fee: 0.01, liquidity: 'maker', slippageBps: 0, final: false });
const expiry = { type: 'exec.expired', v: 1, id: 'e:o:a', ts: T0, orderId: 'o:a', strategy: 'dirmlp', venue: 'binance', symbol: S, filledQty: 0.1, remainingQty: 0.9, reason: 'venue' };
/** The same JSON `bytes` long: spaces after its `{` (valid JSON, of the schema). */
const sized = (msg: object, bytes: number): Uint8Array => utf8(JSON.stringify(msg).replace('{', `{${' '.repeat(bytes - encode(msg).byteLength)}`));

/**
 * `validation.maxReportBytes` (316d909) bounds a live consumer's fill or expiry on the engine, but
 * the websocket feed decoded them with the default 8192: a desk that raised the bound had fills
 * the engine booked missing from the dashboard, and one that lowered it had fills listed that the
 * engine dead-lettered (OVERSIZE). The gateway now takes the engine's setting.
 */
describe('websocket feed: fills and expiries under validation.maxReportBytes', () => {
  const relayed = async (maxReportBytes: number, bytes: number) => {
    const cfg = loadConfig({ env: {}, overrides: { assets: [{ venue: 'binance', symbol: S }], gateway: { enabled: true, port: 0 }, validation: { maxReportBytes }, paperVenue: { enabled: false } } });
    const subjects = subjectsFor(cfg.prefix);
    // What the engine does with such a fill (cli/external-fills.ts).
    const engine = decodeFill(subjects.fill('binance', S), sized(fill(1), bytes), subjects, knownAssets(cfg.assets), cfg.validation.maxReportBytes);
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const runtime = await startGatewayRuntime(cfg, bus, {}, silentLogger, { env: { SEXTANT_VIEWER_TOKEN: VIEWER }, metrics: createEngineMetrics({ defaultMetrics: false }) });
    try {
      await bus.publish(subjects.order('dirmlp', 'binance', S), encode(order));
      await bus.publish(subjects.fill('binance', S), sized(fill(1), bytes));
      await bus.publish(subjects.expired('binance', S), sized(expiry, bytes));
      const s = () => runtime.hub.stats();
      await until(() => s().seq.orders + s().refusedFills + s().refusedExpiries >= 3);
      return { engine: engine.ok ? 'booked' : engine.reason, feed: { orders: s().seq.orders, refusedFills: s().refusedFills, refusedExpiries: s().refusedExpiries } };
    } finally {
      await runtime.close();
    }
  };

  it('relays a 12 KB fill and expiry under a raised bound (16384), as the engine books them', async () => {
    expect(await relayed(16_384, 12_000)).toEqual({ engine: 'booked', feed: { orders: 3, refusedFills: 0, refusedExpiries: 0 } });
  });

  it('refuses a 3 KB fill and expiry under a lowered bound (2048), as the engine refuses them (OVERSIZE)', async () => {
    expect(await relayed(2048, 3000)).toEqual({ engine: 'OVERSIZE', feed: { orders: 1, refusedFills: 1, refusedExpiries: 1 } });
  });
});
