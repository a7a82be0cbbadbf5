import type { Logger } from '../state/logger.js';
import type { Bus } from '../streams/bus.js';
import { trackBusConnection } from '../streams/bus-connection.js';
import type { BusConnection } from '../streams/bus-connection.js';
import { SERVER_CLOSED } from '../streams/nats-disconnect-cause.js';

/**
 * A long-running process's NATS link, said in its log and kept for `/healthz`, `/metrics` and
 * `ctl status`: a warning when it drops (the server and why: `disconnectReason`), an info line when it is back
 * (how long it was down). The client reconnects by itself meanwhile; publishes wait for it (up to
 * their timeout, then are retried) and consumers pause. `connection` names the link in each line
 * (the NATS client name: `sextant`, `sextant-gateway`, `sextant-control`).
 *
 * @example const link = logNatsConnection(bus, log, 'sextant'); // link.state().connected
 */
export function logNatsConnection(bus: Pick<Bus, 'onStatus'>, log: Logger, connection: string, now: () => number = Date.now): BusConnection {
  return trackBusConnection(bus, now, (e) => {
    if (e.type === 'disconnected') {
      log.warn({ connection, server: e.server, error: e.error ?? SERVER_CLOSED }, 'NATS connection lost: reconnecting (publishes wait for it, consumers pause)');
    } else {
      log.info({ connection, server: e.server, downMs: e.downMs, since: e.outage.at }, `NATS connection back after ${(e.downMs / 1000).toFixed(1)} s`);
    }
  });
}
