import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestGateway, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { comparePhases, quantile } from './latency-rounds.js';
import { connectRaw } from './raw-feed-client.js';
import type { RawFeedClient } from './raw-feed-client.js';

const CLIENTS = 200;
const SLOW = 10;
const RATE_PER_S = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const until = async (cond: () => boolean, timeoutMs = 20_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
};

/** A reading client that records how long each `pnl` update took from publish to arrival (same process clock), by phase. */
async function fastClient(url: string, record: (phase: number, ms: number) => void): Promise<{ ws: WebSocket; subscribed: Promise<void> }> {
  const ws = new WebSocket(`${url}?token=${VIEWER}`, { perMessageDeflate: false });
  let onSub: () => void = () => {};
  const subscribed = new Promise<void>((r) => (onSub = r));
  ws.on('message', (raw: Buffer) => {
    const m = JSON.parse(raw.toString('utf8')) as { type: string; data?: { t: number; phase: number } };
    if (m.type === 'subscribed') onSub();
    else if (m.type === 'delta' && m.data !== undefined) record(m.data.phase, performance.now() - m.data.t);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ op: 'subscribe', topic: 'pnl' }));
  return { ws, subscribed };
}

const PHASES = 64;
const PHASE_MS = 400;
const SETTLE_MS = 60;
/**
 * ABBA ABBA …: a linear drift in the machine's load falls on both sides alike. Each phase's p99 is
 * taken on its own and the conditions are compared by the median of their phases' p99
 * (latency-rounds.ts): a stall from someone else's load that lands in a few phases cannot decide
 * the verdict, a cost the stalled clients add to every phase still does.
 */
const withSlowIn = (phase: number): boolean => phase % 4 === 1 || phase % 4 === 2;

describe('websocket feed fan-out with slow clients', () => {
  it(`keeps the reading clients' p99 latency within 10% when ${SLOW} of ${CLIENTS} clients stop reading`, async () => {
    const gw: Gateway = await startTestGateway({ config: { maxClients: 1000, maxBufferedBytes: 64 * 1024, slowCloseMs: 600_000, heartbeatMs: 600_000 } });
    const perPhase: number[][] = Array.from({ length: PHASES }, () => []);
    const published = { without: 0, with: 0 };
    const fast: WebSocket[] = [];
    const stalled: RawFeedClient[] = [];
    try {
      // 190 reading clients on `pnl`; 10 clients that stop reading, pushed over the buffer limit
      // first (large updates on `actors`, which only they follow) so that they conflate.
      for (let i = 0; i < SLOW; i++) {
        const c = await connectRaw(gw.wsUrl, VIEWER);
        c.send({ op: 'subscribe', topic: 'actors' });
        await until(() => c.messages.length >= 1);
        c.pause();
        stalled.push(c);
      }
      for (let i = 0; i < CLIENTS - SLOW; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(50, CLIENTS - SLOW - i) }, () =>
            fastClient(gw.wsUrl, (phase, ms) => {
              if (phase >= 0) perPhase[phase]?.push(ms);
            }),
          ),
        );
        fast.push(...batch.map((c) => c.ws));
        await Promise.all(batch.map((c) => c.subscribed));
      }
      for (let i = 0; gw.hub.stats().slowClients < SLOW && i < 400; i++) {
        gw.hub.publishLocal('actors', `a${i % 8}`, { pad: 'x'.repeat(256 * 1024) });
        await sleep(1);
      }
      expect(gw.hub.stats().slowClients).toBe(SLOW);

      // Alternating phases: without the stalled clients in the `pnl` fan-out, then with them.
      let k = 0;
      const warmEnd = performance.now() + 500;
      while (performance.now() < warmEnd) {
        gw.hub.publishLocal('pnl', `s${k++ % 20}`, { t: performance.now(), phase: -1, pad: 'p'.repeat(200) });
        await sleep(1000 / RATE_PER_S);
      }
      let slowInFanout = 0;
      for (let phase = 0; phase < PHASES; phase++) {
        const slowNow = withSlowIn(phase);
        if (slowNow !== slowInFanout > 0) {
          for (const c of stalled) c.send({ op: slowNow ? 'subscribe' : 'unsubscribe', topic: 'pnl' });
          slowInFanout = slowNow ? SLOW : 0;
        }
        const start = performance.now();
        while (performance.now() - start < PHASE_MS) {
          const settled = performance.now() - start >= SETTLE_MS;
          gw.hub.publishLocal('pnl', `s${k++ % 20}`, { t: performance.now(), phase: settled ? phase : -1, pad: 'p'.repeat(200) });
          if (settled) published[slowNow ? 'with' : 'without']++;
          await sleep(1000 / RATE_PER_S);
        }
        if (slowNow) expect(gw.hub.stats().slowClients).toBe(SLOW); // still conflating, still connected
      }
      await sleep(300);
    } finally {
      for (const ws of fast) ws.terminate();
      for (const c of stalled) c.socket.destroy();
      await gw.close();
    }
    const phases = perPhase.map((samples, i) => ({ treated: withSlowIn(i), samples }));
    const c = comparePhases(phases, 0.99);
    const phaseP99 = (treated: boolean): string => {
      const xs = phases.filter((p) => p.treated === treated).map((p) => quantile(p.samples, 0.99));
      return `phase p99 quartiles ${[0.25, 0.5, 0.75].map((q) => quantile(xs, q).toFixed(2)).join(' / ')} ms`;
    };
    const deliveries = (treated: boolean): number => phases.filter((p) => p.treated === treated).reduce((n, p) => n + p.samples.length, 0);
    console.log(
      `fan-out to ${CLIENTS - SLOW} reading clients, ${RATE_PER_S} msg/s, ${PHASES} alternating phases of ${PHASE_MS} ms (ABBA):\n` +
        `  without the ${SLOW} stalled clients: ${phaseP99(false)}; pooled p99 ${c.pooled.control.toFixed(2)} ms (${deliveries(false)} deliveries)\n` +
        `  with the ${SLOW} stalled clients:    ${phaseP99(true)}; pooled p99 ${c.pooled.treated.toFixed(2)} ms (${deliveries(true)} deliveries)\n` +
        `  median phase p99 change: ${((c.ratio - 1) * 100).toFixed(1)}% (pooled: ${((c.pooled.treated / c.pooled.control - 1) * 100).toFixed(1)}%)`,
    );
    // Every update reached every reading client (none of them was conflated or dropped).
    expect(deliveries(false)).toBe(published.without * (CLIENTS - SLOW));
    expect(deliveries(true)).toBe(published.with * (CLIENTS - SLOW));
    expect(c.treated).toBeLessThanOrEqual(c.control * 1.1);
  }, 180_000);
});
