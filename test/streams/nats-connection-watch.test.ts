import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { engineControlTarget } from '../../cli/engine-control.js';
import { logNatsConnection } from '../../cli/nats-connection-log.js';
import { startGatewayServer } from '../../gateways/http/gateway-server.js';
import { createEngineMetrics } from '../../gateways/http/metrics.js';
import { createHub } from '../../gateways/ws/hub.js';
import { createCounters } from '../../state/counters.js';
import type { Logger } from '../../state/logger.js';
import type { Bus } from '../../streams/bus.js';
import { captureDisconnectCause } from '../../streams/nats-disconnect-cause.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { retryingPublish } from '../../streams/retrying-publish.js';
import { subjectsFor } from '../../streams/subjects.js';
import { idleSupervisor } from '../contract/model-registry.fixtures.js';
import { NATS_URL, testGatewayConfig, VIEWER } from '../gateways/ws/gateway-harness.js';
import { startNatsCutProxy } from '../support/nats-cut-proxy.js';
import type { CutProxy } from '../support/nats-cut-proxy.js';

type Line = Readonly<{ level: string; fields: Record<string, unknown>; msg: string }>;

const recordingLogger = (lines: Line[]): Logger => {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void =>
      void lines.push({ level, fields, msg });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
};

const until = async (what: string, ok: () => boolean, ms = 10_000): Promise<void> => {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const metricValue = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

// The shared NATS at 127.0.0.1:4222 is never stopped: its clients are cut off by a proxy instead.
describe('NATS connection lost and back (real NATS behind a proxy that is cut)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const proxied = async (name: string): Promise<{ proxy: CutProxy; bus: Bus }> => {
    const proxy = await startNatsCutProxy(NATS_URL);
    cleanups.push(() => proxy.close());
    const bus = await createNatsBus({ url: proxy.url, name, connectTimeoutMs: 3000, requestTimeoutMs: 3000 });
    cleanups.push(() => bus.close());
    return { proxy, bus };
  };

  it('the client still has the shape the disconnect error is read from', async () => {
    const nc = await connect({ servers: NATS_URL });
    try {
      expect(captureDisconnectCause(nc).hooked).toBe(true);
    } finally {
      await nc.close();
    }
  });

  it('logs a warning with the server and the error when it drops, an info with how long it was down when back; /healthz, /metrics and ctl status say it', async () => {
    const { proxy, bus } = await proxied('watch-test');
    const lines: Line[] = [];
    let now = Date.parse('2025-03-01T12:00:00Z');
    const link = logNatsConnection(bus, recordingLogger(lines), 'sextant', () => now);
    cleanups.push(() => link.stop());
    const metrics = createEngineMetrics({ defaultMetrics: false });
    metrics.natsConnection('sextant', () => link.state());
    const subjects = subjectsFor(`nw${randomBytes(5).toString('hex')}`);
    const config = testGatewayConfig();
    const hub = createHub({ bus, subjects, limits: config, heartbeatMs: config.heartbeatMs, log: recordingLogger([]) });
    cleanups.push(() => hub.close());
    const server = await startGatewayServer({ config, hub, metrics, probes: {}, nats: () => link.state(), bus, subjects, log: recordingLogger([]), env: {} });
    cleanups.push(() => server.close());
    const health = async (): Promise<{ status: string; nats: Record<string, unknown> }> => (await (await fetch(`${server.url}/healthz`)).json()) as { status: string; nats: Record<string, unknown> };
    const scrape = async (): Promise<string> => (await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${VIEWER}` } })).text();
    const ctl = engineControlTarget({ supervisor: idleSupervisor, counters: createCounters(), decisions: undefined, registry: undefined, known: { symbols: [], strategies: [] }, nats: link });

    expect(await health()).toEqual({ status: 'ok', nats: { connected: true, since: '2025-03-01T12:00:00.000Z', disconnects: 0, reconnects: 0, lastOutage: null } });
    let text = await scrape();
    expect(metricValue(text, 'sextant_nats_connected{connection="sextant"}')).toBe(1);
    expect(metricValue(text, 'sextant_nats_reconnects_total{connection="sextant"}')).toBe(0);

    // NATS goes away (a network path reset): one warning, with the server and the error.
    now += 1_000;
    proxy.cut({ reset: true });
    await until('the disconnect warning', () => lines.some((l) => l.level === 'warn'));
    const port = new URL(proxy.url).port;
    expect(lines).toHaveLength(1);
    expect(lines[0]?.msg).toMatch(/^NATS connection lost: reconnecting/);
    expect(lines[0]?.fields).toMatchObject({ connection: 'sextant', server: `127.0.0.1:${port}` });
    expect(String(lines[0]?.fields['error'])).toMatch(/ECONNRESET/);
    const down = await health();
    expect(down.status).toBe('degraded');
    expect(down.nats).toMatchObject({ connected: false, since: '2025-03-01T12:00:01.000Z', disconnects: 1, reconnects: 0, lastOutage: { at: '2025-03-01T12:00:01.000Z', until: null, server: `127.0.0.1:${port}` } });
    text = await scrape();
    expect(metricValue(text, 'sextant_nats_connected{connection="sextant"}')).toBe(0);

    // 22 s later it is back: one info line saying how long it was down.
    now += 22_000;
    proxy.restore();
    await until('the reconnect info', () => lines.some((l) => l.level === 'info'));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'info', msg: 'NATS connection back after 22.0 s', fields: { connection: 'sextant', downMs: 22_000, server: `127.0.0.1:${port}` } });
    const outage = { at: '2025-03-01T12:00:01.000Z', until: '2025-03-01T12:00:23.000Z', ms: 22_000, server: `127.0.0.1:${port}`, error: String(lines[0]?.fields['error']) };
    expect(await health()).toEqual({ status: 'ok', nats: { connected: true, since: '2025-03-01T12:00:23.000Z', disconnects: 1, reconnects: 1, lastOutage: outage } });
    text = await scrape();
    expect(metricValue(text, 'sextant_nats_connected{connection="sextant"}')).toBe(1);
    expect(metricValue(text, 'sextant_nats_reconnects_total{connection="sextant"}')).toBe(1);
    expect(metricValue(text, 'sextant_nats_last_outage_seconds{connection="sextant"}')).toBe(22);
    // `sextant ctl status` cannot ask while NATS is down; after, it says the outage.
    expect((ctl.status() as { nats: unknown }).nats).toEqual({ connected: true, since: '2025-03-01T12:00:23.000Z', disconnects: 1, reconnects: 1, lastOutage: outage });
    // The bus works again.
    await bus.flush();
  });

  it('says the server closed the connection when it ends it cleanly (as a stopped server does), in the log and the state', async () => {
    const { proxy, bus } = await proxied('watch-clean');
    const lines: Line[] = [];
    const link = logNatsConnection(bus, recordingLogger(lines), 'sextant');
    cleanups.push(() => link.stop());
    proxy.cut();
    await until('the disconnect warning', () => lines.some((l) => l.level === 'warn'));
    // The client answers the FIN with a write, which may meet the closed socket (EPIPE) or not.
    expect(String(lines[0]?.fields['error'])).toMatch(/^server closed the connection( \(write EPIPE\))?$/);
    expect(link.state().lastOutage?.error).toBe(lines[0]?.fields['error']);
    proxy.restore();
    await until('the reconnect info', () => lines.some((l) => l.level === 'info'));
  });

  it('a publish whose acknowledgement the drop lost is sent again with its id: the stream keeps one, a core subscriber gets it twice', async () => {
    const { proxy, bus } = await proxied('watch-dup');
    const tag = randomBytes(5).toString('hex');
    const subject = `nwd${tag}.exec.order`;
    await bus.ensureStreams([{ name: `NWD${tag}`, subjects: [`nwd${tag}.>`], maxAgeMs: 60_000, duplicateWindowMs: 60_000, storage: 'memory' }]);
    cleanups.push(() => bus.deleteStreams([`NWD${tag}`]));
    const reader = await connect({ servers: NATS_URL });
    cleanups.push(() => reader.close());
    const seen: string[] = [];
    reader.subscribe(subject, { callback: (_e, m) => void seen.push(m.headers?.get('Nats-Msg-Id') ?? '?') });
    await reader.flush();

    // The order reaches the server (stored, relayed) but its acknowledgement never comes back, and then the link drops.
    proxy.holdReplies();
    const published = retryingPublish(bus, 3)(subject, new TextEncoder().encode('{"id":"o:1"}'), 'o:1');
    await until('the first copy', () => seen.length === 1);
    proxy.cut();
    await new Promise((r) => setTimeout(r, 200));
    proxy.restore();
    const ack = await published;
    expect(ack.duplicate).toBe(true); // the retry: the stream already had it
    await until('the second copy', () => seen.length === 2);
    expect(seen).toEqual(['o:1', 'o:1']);
    expect(await bus.countMessages(`NWD${tag}`)).toBe(1);
  });
});
