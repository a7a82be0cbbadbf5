import type { Exchange } from 'ccxt';
import { createCcxtExchange } from '../../gateways/market-data/ccxt-exchange.js';
import type { CcxtExchangeOptions } from '../../gateways/market-data/ccxt-exchange.js';
import { createCcxtMarketData } from '../../gateways/market-data/ccxt-market-data.js';
import type { CcxtMarketDataOptions } from '../../gateways/market-data/ccxt-market-data.js';
import type { MarketDataSource } from '../../gateways/market-data/market-data-source.js';
import { dataPath } from '../gateways/data.js';
import { readKlines, startBinanceServer } from '../gateways/exchange/binance-server.js';
import type { BinanceServer, Kline } from '../gateways/exchange/binance-server.js';
import { openStack } from '../gateways/exchange/harness.js';
import type { Stack } from '../gateways/exchange/harness.js';

const BTC_1M = 'ohlcv/binance_spot_1m/BTC_USDT_1m_2026-03_2026-04.csv';
const ETH_1M = 'ohlcv/binance_spot_1m/ETH_USDT_1m_2026-03_2026-04.csv';

/** The gateway's clock in the ccxt tests (event time far past the bars', so every bar counts as closed). */
export const GATEWAY_NOW = 1_800_000_000_000;

/**
 * The ccxt tests' world: a local server speaking the Binance API (test/gateways/exchange/
 * binance-server.ts) and a gateway stack of its own on real JetStream (harness.ts). `btc`: the bars
 * its BTC/USDT market serves.
 */
export type BinanceWorld = Readonly<{ srv: BinanceServer; stack: Stack; btc: Kline[] }>;

/**
 * Starts the world: BTC/USDT (and with `eth` ETH/USDT) serving the shared data's first `bars` 1m
 * bars (default 60), the bar at index `open` (default 10) still open.
 */
export async function openBinanceWorld(o: Readonly<{ bars?: number; open?: number; eth?: boolean }> = {}): Promise<BinanceWorld> {
  const bars = o.bars ?? 60;
  const open = o.open ?? 10;
  const btc = readKlines(dataPath(BTC_1M), bars);
  const markets = [{ base: 'BTC', quote: 'USDT', bars: btc, open }];
  if (o.eth === true) markets.push({ base: 'ETH', quote: 'USDT', bars: readKlines(dataPath(ETH_1M), bars), open });
  const srv = await startBinanceServer(markets);
  const stack = await openStack();
  return { srv, stack, btc };
}

export async function closeBinanceWorld(w: Pick<BinanceWorld, 'srv' | 'stack'>): Promise<void> {
  await w.srv.close();
  await w.stack.teardown();
}

/** ccxt's `binance` (spot markets only) on the local server's REST and websocket; `over` changes any option. */
export function binanceExchange(srv: BinanceServer, over: Partial<CcxtExchangeOptions> = {}): Promise<Exchange> {
  return createCcxtExchange({ exchangeId: 'binance', restUrl: srv.restUrl, wsUrl: srv.wsUrl, options: { fetchMarkets: { types: ['spot'] } }, ...over });
}

/**
 * A ccxt market-data source on `exchange` with the options the ccxt tests start from: BTC/USDT 1m
 * bars only, `auto` mode, polls 20 ms apart, a 5-bar backfill in pages of 4, backoff 100 ms … 1 s,
 * the clock at {@link GATEWAY_NOW}, the stack's recording sleep. `over` changes any option.
 */
export function binanceSource(exchange: Exchange, stack: Stack, over: Partial<CcxtMarketDataOptions> = {}): MarketDataSource {
  return createCcxtMarketData({
    exchange,
    assets: [{ venue: 'binance', symbol: 'BTC/USDT' }],
    timeframes: ['1m'],
    trades: false,
    quotes: false,
    mode: 'auto',
    pollMs: 20,
    backfillBars: 5,
    pageLimit: 4,
    backoff: { minMs: 100, maxMs: 1_000 },
    now: () => GATEWAY_NOW,
    sleep: stack.sleep,
    ...over,
  });
}
