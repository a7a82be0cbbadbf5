import { InvalidArgumentError } from 'commander';
import type { WiringMode } from '../wiring.js';

/**
 * `sextant run`'s wiring mode from its flags: `--embedded` (in-process adapters only), `--auto`
 * (each service, or its in-process stand-in where it is unreachable), neither: `live`. The two
 * together contradict each other — one says never try the services, the other try them first —
 * and are refused rather than one of them dropped silently (as `contradictoryBacktestFlags` does
 * for the backtest's).
 *
 * @example runWiringMode({ auto: true }) // 'auto'
 */
export function runWiringMode(opts: Readonly<{ embedded?: boolean; auto?: boolean }>): WiringMode {
  if (opts.embedded === true && opts.auto === true) {
    throw new InvalidArgumentError('--embedded and --auto are two wiring modes: --embedded uses in-process adapters only, --auto tries NATS, Redis and PostgreSQL first; give one');
  }
  return opts.embedded === true ? 'embedded' : opts.auto === true ? 'auto' : 'live';
}
