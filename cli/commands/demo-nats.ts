import type { Logger } from '../../state/logger.js';
import type { Bus } from '../../streams/bus.js';
import type { BusConnection } from '../../streams/bus-connection.js';
import { logNatsConnection } from '../nats-connection-log.js';

/**
 * The demo's NATS link, watched as `sextant run`, `sextant gateway` and `sextant replay` watch
 * theirs (cli/nats-connection-log.ts): a warning when it drops (the server and why), an info line
 * when it is back (how long it was down), and the state for the dashboard's /healthz and /metrics
 * and `ctl status`. Undefined on the in-process bus (`--embedded`, or NATS unreachable at start, when
 * the demo fell back to the embedded adapters): there is no link to lose.
 *
 * `log` should let info through: the demo's own log is at warn by default, which would say the drop
 * but never the return.
 *
 * @example const nats = watchDemoNats(adapters.bus, cfg.nats.name, createLogger(process.env['SEXTANT_LOG_LEVEL'] ?? 'info'));
 */
export function watchDemoNats(bus: Pick<Bus, 'kind' | 'onStatus'>, connection: string, log: Logger, now?: () => number): BusConnection | undefined {
  if (bus.kind !== 'nats') return undefined;
  return logNatsConnection(bus, log, connection, now);
}
