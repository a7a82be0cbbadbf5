import type { Config } from '../config/schema.js';
import type { MarketDataSinkOptions } from '../gateways/market-data/market-data-sink.js';
import { streamName } from '../streams/provision.js';
import { subjectsFor } from '../streams/subjects.js';

export type GatewaySinkDeps = Pick<MarketDataSinkOptions, 'bus' | 'now' | 'log' | 'onStatus'>;

/**
 * The options of `sextant gateway`'s market-data sink from the config: its subjects and MD stream,
 * `validation.maxPayloadBytes`, and `validation.maxAheadMs`, the same bound the engine's asset
 * actors and external-fill consumer apply, so that a bar the engine would refuse as ahead of its
 * clock is refused here too, and one it accepts is published.
 *
 * @example createMarketDataSink(gatewaySinkOptions(cfg, { bus, now: () => Date.now(), log, onStatus }))
 */
export function gatewaySinkOptions(cfg: Pick<Config, 'prefix' | 'streamNamePrefix' | 'validation'>, deps: GatewaySinkDeps): MarketDataSinkOptions {
  return {
    ...deps,
    subjects: subjectsFor(cfg.prefix),
    mdStream: streamName(cfg, 'MD'),
    maxPayloadBytes: cfg.validation.maxPayloadBytes,
    maxAheadMs: cfg.validation.maxAheadMs,
    maxAheadSetting: 'validation.maxAheadMs',
  };
}
