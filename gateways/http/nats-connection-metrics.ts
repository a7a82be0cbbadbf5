import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { BusConnectionState } from '../../streams/bus-connection.js';

/** Adds a NATS link to the `sextant_nats_*` series: `connection` is its client name, `read` is read at each scrape. */
export type NatsConnectionMetrics = Readonly<{ add(connection: string, read: () => BusConnectionState): void }>;

/**
 * `sextant_nats_connected{connection}` (1 while up, 0 while down, reconnecting),
 * `sextant_nats_reconnects_total{connection}` and `sextant_nats_last_outage_seconds{connection}`
 * (the outage under way, else the last one; 0 before any) on `registry`, one series per link added,
 * labelled with its NATS client name (`sextant`, `sextant-control`, `sextant-gateway`: what the
 * `connection` field of cli/nats-connection-log.ts's log lines says). The engine's registry
 * (gateways/http/metrics.ts) and the market-data gateway's (feed-status-server.ts) both hold them,
 * so one alert rule covers every process. No series until a link is added (an in-process bus).
 * Adding a name again replaces its reader.
 */
export function natsConnectionMetrics(registry: Registry): NatsConnectionMetrics {
  const registers = [registry];
  const links = new Map<string, () => BusConnectionState>();
  new Gauge({
    name: 'sextant_nats_connected',
    help: "Whether the process's NATS connection (by client name) is up (1) or down, reconnecting (0)",
    labelNames: ['connection'],
    registers,
    collect() {
      for (const [connection, read] of links) this.set({ connection }, read().connected ? 1 : 0);
    },
  });
  /** Reconnects already counted, per link: the counter grows by what its state's count grew since. */
  const counted = new Map<string, number>();
  new Counter({
    name: 'sextant_nats_reconnects_total',
    help: 'Times the NATS connection (by client name) came back after it was lost',
    labelNames: ['connection'],
    registers,
    collect() {
      for (const [connection, read] of links) {
        const n = read().reconnects;
        const had = counted.get(connection) ?? 0;
        this.inc({ connection }, Math.max(0, n - had));
        counted.set(connection, Math.max(had, n));
      }
    },
  });
  new Gauge({
    name: 'sextant_nats_last_outage_seconds',
    help: 'How long the NATS connection (by client name) has been down (while it is), else how long its last outage lasted; 0 before any',
    labelNames: ['connection'],
    registers,
    collect() {
      for (const [connection, read] of links) this.set({ connection }, (read().lastOutage?.ms ?? 0) / 1000);
    },
  });
  return {
    add: (connection, read) => {
      links.set(connection, read);
    },
  };
}
