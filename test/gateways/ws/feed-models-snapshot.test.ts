import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelEvent } from '../../../streams/messages/model-event.js';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import { connectFeed, json, startTestGateway, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';

type Update = Extract<ServerMessage, { type: 'snapshot' | 'delta' }>;

const T0 = Date.UTC(2024, 0, 2);
const event = (seq: number, e: Pick<ModelEvent, 'name' | 'event' | 'version' | 'alias'>): ModelEvent => ({
  type: 'model.event',
  v: 1,
  id: `m:${e.name}:${e.version}:${e.event}:${seq}`,
  ts: T0 + seq * 1_000,
  previousVersion: null,
  actor: 'ops',
  reason: 'test',
  ...e,
});

describe('the websocket feed\'s models snapshot', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('holds what each alias serves, not only each model\'s newest event (a registered candidate or another alias\'s promotion hid production)', async () => {
    const sent = [
      event(1, { name: 'dir-mlp', event: 'registered', version: 3, alias: null }),
      event(2, { name: 'dir-mlp', event: 'promoted', version: 3, alias: 'production' }),
      event(3, { name: 'dir-mlp', event: 'promoted', version: 4, alias: 'staging' }),
      event(4, { name: 'dir-mlp', event: 'registered', version: 5, alias: null }),
      event(5, { name: 'dir-mlp', event: 'rejected', version: 5, alias: null }),
      event(6, { name: 'dir-lr', event: 'promoted', version: 1, alias: 'production' }),
      event(7, { name: 'dir-lr', event: 'promoted', version: 2, alias: 'production' }),
    ];
    for (const e of sent) gw.bus.emit(gw.subjects.model(e.name, e.event), json(e));
    await gw.bus.flush();
    const end = Date.now() + 5_000;
    while (gw.hub.stats().seq.models < sent.length && Date.now() < end) await new Promise((r) => setTimeout(r, 10));

    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'models' });
    await c.waitFor((m) => m.type === 'subscribed');
    const snap = c.messages.filter((m): m is Update => m.type === 'snapshot').map((u) => [u.key, (u.data as ModelEvent).event, (u.data as ModelEvent).alias, (u.data as ModelEvent).version]);
    expect(snap).toEqual([
      ['dir-mlp', 'promoted', 'production', 3],
      ['dir-mlp', 'promoted', 'staging', 4],
      ['dir-mlp', 'registered', null, 5],
      ['dir-mlp', 'rejected', null, 5],
      ['dir-lr', 'promoted', 'production', 2],
    ]);
    c.ws.close();
  });
});
