import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CcxtMarketDataOptions } from '../../../gateways/market-data/ccxt-market-data.js';
import { binanceExchange, binanceSource, closeBinanceWorld, openBinanceWorld } from '../../support/binance-world.js';
import type { BinanceServer, Kline } from './binance-server.js';
import { readStream, start, until } from './harness.js';
import type { Stack } from './harness.js';

/** Answers of the venue's REST API that are not the API's: a proxy's page sent with a 200, a body cut short. */
const OPEN = 10;

let srv: BinanceServer;
let stack: Stack;
let btc: Kline[];

beforeEach(async () => void ({ srv, stack, btc } = await openBinanceWorld({ open: OPEN })));
afterEach(() => closeBinanceWorld({ srv, stack }));

async function gateway(over: Partial<CcxtMarketDataOptions> = {}) {
  return start(binanceSource(await binanceExchange(srv), stack, over), stack.sink());
}

const barSubject = () => stack.subjects.bar('binance', 'BTC/USDT', '1m');
const barIds = async () => (await readStream(stack.bus, stack.md, barSubject())).map((m) => m.msg['id']);
const idsOf = (from: number, to: number) => btc.slice(from, to).map((b) => `b:binance:BTC/USDT:1m:${b.ts}`);

describe('ccxt gateway on REST answers that are not JSON', () => {
  for (const [what, body] of [
    ["a proxy's HTML error page sent with a 200", '<html><body>502 Bad Gateway</body></html>'],
    ['a body cut short', '[[1773000000000,"70000.1","70010'],
  ] as const) {
    it(`retries ${what} in a backfill (BAD_RESPONSE) and backfills every bar: no hole`, async () => {
      srv.failNext('/api/v3/klines', 200, 1, body); // the first page of the start-up backfill
      const gw = await gateway();
      await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 5, 10_000, 'backfill');
      srv.advance('BTCUSDT', 1);
      await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 6, 10_000, 'live bar');
      await gw.stop();
      expect(await barIds()).toEqual(idsOf(OPEN - 5, OPEN + 1));
      const retries = stack.statuses.flatMap((s) => (s.type === 'retrying' ? [[s.code, s.error]] : []));
      expect(retries).toEqual([['BAD_RESPONSE', expect.stringContaining('not JSON')]]);
      expect(await stack.bus.countMessages(stack.dlq)).toBe(0);
    });
  }
});

describe('ccxt gateway on REST pages that hold no bars', () => {
  for (const [what, body] of [
    ['an empty page', '[]'],
    ['JSON that is not klines', '{"code":0,"msg":"maintenance"}'],
  ] as const) {
    it(`says which bars a backfill left out after ${what} (a gap status and a warning), instead of only 'backfilled'`, async () => {
      srv.failNext('/api/v3/klines', 200, 1, body); // the first page of the start-up backfill
      const gw = await gateway();
      await until(() => stack.statuses.some((s) => s.type === 'backfilled'), 10_000, 'backfill');
      srv.advance('BTCUSDT', 1);
      await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 1, 10_000, 'live bar');
      await gw.stop();
      expect(await barIds()).toEqual(idsOf(OPEN, OPEN + 1));
      expect(stack.statuses.filter((s) => s.type === 'gap')).toEqual([
        { type: 'gap', feed: 'binance BTC/USDT bar 1m', from: btc[OPEN - 5]!.ts, to: btc[OPEN]!.ts, missing: 5, detail: expect.stringContaining('answered no bar for 5 of the 1m intervals') },
      ]);
    });
  }

  it('counts a bar the sink refused (a malformed one) as missing, not as answered: a gap status, not a silent hole', async () => {
    // The first page of the start-up backfill, four bars, the second with its high below its low.
    const row = (b: Kline, high: number) => [b.ts, String(b.open), String(high), String(b.low), String(b.close), String(b.volume), b.ts + 59_999, '0', 1, '0', '0', '0'];
    const page = btc.slice(OPEN - 5, OPEN - 1).map((b, i) => row(b, i === 1 ? b.low - 1 : b.high));
    srv.failNext('/api/v3/klines', 200, 1, page);
    const gw = await gateway();
    await until(() => stack.statuses.some((s) => s.type === 'backfilled'), 10_000, 'backfill');
    srv.advance('BTCUSDT', 1);
    await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 5, 10_000, 'live bar');
    await gw.stop();
    expect(await barIds()).toEqual([...idsOf(OPEN - 5, OPEN - 4), ...idsOf(OPEN - 3, OPEN + 1)]);
    expect(await stack.bus.countMessages(stack.dlq)).toBe(1);
    expect(stack.statuses.filter((s) => s.type === 'gap')).toEqual([
      { type: 'gap', feed: 'binance BTC/USDT bar 1m', from: btc[OPEN - 5]!.ts, to: btc[OPEN]!.ts, missing: 1, detail: expect.stringContaining('answered a bar refused to the DLQ for 1 of the 1m intervals') },
    ]);
  });

  it('reports no gap when the venue answered every bar', async () => {
    const gw = await gateway();
    await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 5, 10_000, 'backfill');
    srv.advance('BTCUSDT', 1);
    await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 6, 10_000, 'live bar');
    await gw.stop();
    expect(stack.statuses.some((s) => s.type === 'gap')).toBe(false);
  });
});
