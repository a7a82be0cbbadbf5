import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import { connectFeed, json, startTestGateway, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';

type Frame = Extract<ServerMessage, { type: 'delta' | 'snapshot' }>;
const H = 3_600_000;
const bar = (ts: number, close: number): Record<string, unknown> => ({ type: 'md.bar', id: `b:${ts}`, venue: 'binance', symbol: 'BTC/USDT', tf: '1h', ts, close });
const barsOf = (ms: readonly ServerMessage[], type: Frame['type']): Array<[number, number]> =>
  ms.filter((m): m is Frame => m.type === type && m.topic === 'md').map((m) => {
    const d = m.data as { ts: number; close: number };
    return [d.ts, d.close];
  });

describe('websocket feed: md bars older than one already relayed', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('are neither relayed nor kept as the snapshot (the engine refuses them OUT_OF_ORDER; real NATS)', async () => {
    const subject = gw.subjects.bar('binance', 'BTC/USDT', '1h');
    const live = await connectFeed(gw.wsUrl, { token: VIEWER });
    live.send({ op: 'subscribe', topic: 'md' });
    await live.waitFor((m) => m.type === 'subscribed' && m.topic === 'md');
    // The demo's injected fault: a bar a year before the window, after the window's last bar.
    for (const [ts, close] of [[100 * H, 62_772], [101 * H, 62_800], [101 * H - 365 * 24 * H, 42_475], [102 * H, 62_900]] as const) gw.bus.emit(subject, json(bar(ts, close)));
    await live.waitFor((m) => m.type === 'delta' && m.topic === 'md' && (m.data as { ts: number }).ts === 102 * H);
    expect(barsOf(live.messages, 'delta')).toEqual([[100 * H, 62_772], [101 * H, 62_800], [102 * H, 62_900]]);

    // The last bar of the slot is the refused one, as at the end of a demo run: a page opened later gets the good ones (mdSnapshotBars), none refused.
    gw.bus.emit(subject, json(bar(103 * H, 63_000)));
    gw.bus.emit(subject, json(bar(99 * H, 42_475)));
    await live.waitFor((m) => m.type === 'delta' && m.topic === 'md' && (m.data as { ts: number }).ts === 103 * H);
    await new Promise((r) => setTimeout(r, 200));
    const late = await connectFeed(gw.wsUrl, { token: VIEWER });
    late.send({ op: 'subscribe', topic: 'md' });
    await late.waitFor((m) => m.type === 'subscribed' && m.topic === 'md');
    await late.waitFor((m) => m.type === 'snapshot' && m.topic === 'md' && (m.data as { ts: number }).ts === 103 * H);
    expect(barsOf(late.messages, 'snapshot')).toEqual([[100 * H, 62_772], [101 * H, 62_800], [102 * H, 62_900], [103 * H, 63_000]]);
    expect(barsOf(live.messages, 'delta').map(([ts]) => ts)).toEqual([100 * H, 101 * H, 102 * H, 103 * H]);
    expect(gw.hub.stats().olderBars).toBe(2);
    live.ws.close();
    late.ws.close();
  });
});
