import type { Logger } from '../../state/logger.js';
import type { Sleep } from './backoff.js';
import { createCcxtExchange } from './ccxt-exchange.js';
import { createCcxtMarketData } from './ccxt-market-data.js';
import { GatewayError, GatewayErrorCode } from './errors.js';
import type { MarketDataConfig } from './market-data-config.js';
import { TWELVEDATA_URL } from './market-data-config.js';
import type { MarketDataSource } from './market-data-source.js';
import { createTwelveDataMarketData } from './twelvedata-market-data.js';

export type SourceDeps = Readonly<{
  assets: ReadonlyArray<Readonly<{ venue: string; symbol: string }>>;
  env: NodeJS.ProcessEnv;
  now: () => number;
  log: Logger;
  sleep?: Sleep;
}>;

/**
 * The provider named by `marketData.provider`, built from config. The API key comes from the
 * environment variable `marketData.apiKeyEnv` (a key is never written in a config file).
 */
export async function createMarketDataSource(cfg: MarketDataConfig, deps: SourceDeps): Promise<MarketDataSource> {
  const apiKey = deps.env[cfg.apiKeyEnv];
  const common = { assets: deps.assets, timeframes: cfg.timeframes, pollMs: cfg.pollMs, backfillBars: cfg.backfillBars, backoff: cfg.backoff, restart: cfg.restart, now: deps.now, log: deps.log, ...(deps.sleep !== undefined ? { sleep: deps.sleep } : {}) };
  if (cfg.provider === 'twelvedata') {
    if (apiKey === undefined || apiKey === '') throw new GatewayError(GatewayErrorCode.AUTHENTICATION, `twelvedata needs an API key in $${cfg.apiKeyEnv}`);
    return createTwelveDataMarketData({
      ...common,
      baseUrl: cfg.urls.rest ?? TWELVEDATA_URL,
      apiKey,
      symbolMap: cfg.symbolMap,
      tradingHours: cfg.tradingHours,
      maxRetryAfterMs: cfg.maxRetryAfterMs,
      ...(cfg.requestsPerMinute !== undefined ? { requestsPerMinute: cfg.requestsPerMinute } : {}),
    });
  }
  const exchange = await createCcxtExchange({
    exchangeId: cfg.exchange,
    ...(cfg.urls.rest !== undefined ? { restUrl: cfg.urls.rest } : {}),
    ...(cfg.urls.ws !== undefined ? { wsUrl: cfg.urls.ws } : {}),
    ...(apiKey !== undefined && apiKey !== '' ? { apiKey } : {}),
    ...(cfg.rateLimitMs !== undefined ? { rateLimitMs: cfg.rateLimitMs } : {}),
    maxRetryAfterMs: cfg.maxRetryAfterMs,
    options: cfg.ccxtOptions,
  });
  return createCcxtMarketData({
    ...common, exchange, trades: cfg.trades, quotes: cfg.quotes, mode: cfg.mode, pageLimit: cfg.pageLimit, watchParams: cfg.watchParams,
    // TwelveData has none: its bars stop at every close of a market that closes (`tradingHours`).
    ...(cfg.watchdog.enabled ? { watchdog: cfg.watchdog } : {}),
    subscribedAfterMs: cfg.subscribedAfterMs,
  });
}
