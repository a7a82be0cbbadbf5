import { describe, expect, it } from 'vitest';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import type { BusConnectionState } from '../../../streams/bus-connection.js';

const state = (connected: boolean, reconnects: number, outageMs: number | null): BusConnectionState => ({
  connected,
  since: '2025-03-01T12:00:00.000Z',
  disconnects: reconnects + (connected ? 0 : 1),
  reconnects,
  lastOutage: outageMs === null ? null : { at: '2025-03-01T12:00:00.000Z', until: connected ? '2025-03-01T12:00:01.000Z' : null, ms: outageMs, server: null, error: null },
});

const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('sextant_nats_* with several NATS connections in one engine', () => {
  it("keeps a series per connection (the engine's and the dashboard's control login), each counting its own reconnects", async () => {
    const m = createEngineMetrics({ defaultMetrics: false });
    let engine = state(true, 0, null);
    let control = state(true, 0, null);
    m.natsConnection('sextant', () => engine);
    m.natsConnection('sextant-control', () => control);
    let text = await m.text();
    expect(value(text, 'sextant_nats_connected{connection="sextant"}')).toBe(1);
    expect(value(text, 'sextant_nats_connected{connection="sextant-control"}')).toBe(1);

    // The control link drops and comes back twice; the engine's once, then drops again.
    control = state(true, 2, 4_000);
    engine = state(false, 1, 30_000);
    text = await m.text();
    expect(value(text, 'sextant_nats_connected{connection="sextant"}')).toBe(0);
    expect(value(text, 'sextant_nats_connected{connection="sextant-control"}')).toBe(1);
    expect(value(text, 'sextant_nats_reconnects_total{connection="sextant"}')).toBe(1);
    expect(value(text, 'sextant_nats_reconnects_total{connection="sextant-control"}')).toBe(2);
    expect(value(text, 'sextant_nats_last_outage_seconds{connection="sextant"}')).toBe(30);
    expect(value(text, 'sextant_nats_last_outage_seconds{connection="sextant-control"}')).toBe(4);

    // A later scrape adds only what grew since.
    engine = state(true, 2, 31_000);
    text = await m.text();
    expect(value(text, 'sextant_nats_reconnects_total{connection="sextant"}')).toBe(2);
    expect(value(text, 'sextant_nats_reconnects_total{connection="sextant-control"}')).toBe(2);
  });
});
