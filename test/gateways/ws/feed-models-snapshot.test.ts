import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelEvent } from '../../../streams/messages/model-event.js';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import { connectFeed, json, startTestGateway, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { modelEvent } from './model-events.fixtures.js';

type Update = Extract<ServerMessage, { type: 'snapshot' | 'delta' }>;

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
      modelEvent(1, { name: 'dir-mlp', event: 'registered', version: 3, alias: null }),
      modelEvent(2, { name: 'dir-mlp', event: 'promoted', version: 3, alias: 'production' }),
      modelEvent(3, { name: 'dir-mlp', event: 'promoted', version: 4, alias: 'staging' }),
      modelEvent(4, { name: 'dir-mlp', event: 'registered', version: 5, alias: null }),
      modelEvent(5, { name: 'dir-mlp', event: 'rejected', version: 5, alias: null }),
      modelEvent(6, { name: 'dir-lr', event: 'promoted', version: 1, alias: 'production' }),
      modelEvent(7, { name: 'dir-lr', event: 'promoted', version: 2, alias: 'production' }),
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

  it('drops the aliases a live rejection cleared (of its model, naming its version): a later subscriber is not sent the promotion', async () => {
    const models = (): number => gw.hub.stats().seq.models;
    const settle = async (n: number): Promise<void> => {
      await gw.bus.flush();
      const end = Date.now() + 5_000;
      while (models() < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    };
    const promoted = [
      modelEvent(11, { name: 'rej-mlp', event: 'promoted', version: 3, alias: 'production' }),
      modelEvent(12, { name: 'rej-mlp', event: 'promoted', version: 4, alias: 'staging' }),
      modelEvent(13, { name: 'rej-mlp', event: 'promoted', version: 4, alias: 'canary' }),
      modelEvent(14, { name: 'rej-mlp', event: 'promoted', version: 5, alias: 'shadow' }),
      modelEvent(15, { name: 'rej-lr', event: 'promoted', version: 4, alias: 'staging' }),
    ];
    const before = models();
    for (const e of promoted) gw.bus.emit(gw.subjects.model(e.name, e.event), json(e));
    await settle(before + promoted.length);
    // A client following the topic when the rejection comes is sent it as a delta: what clears the aliases for it.
    const live = await connectFeed(gw.wsUrl, { token: VIEWER });
    live.send({ op: 'subscribe', topic: 'models' });
    await live.waitFor((m) => m.type === 'subscribed');
    const rejected = modelEvent(16, { name: 'rej-mlp', event: 'rejected', version: 4, alias: null });
    gw.bus.emit(gw.subjects.model(rejected.name, rejected.event), json(rejected));
    const delta = await live.waitFor((m) => m.type === 'delta' && (m.data as ModelEvent).id === rejected.id);
    expect(delta).toMatchObject({ type: 'delta', topic: 'models', key: 'rej-mlp', seq: before + promoted.length + 1 });

    const ofRej = (messages: readonly ServerMessage[]): unknown[][] =>
      messages.filter((m): m is Update => m.type === 'snapshot' && m.key.startsWith('rej-')).map((u) => [u.key, (u.data as ModelEvent).event, (u.data as ModelEvent).alias, (u.data as ModelEvent).version]);
    const later = await connectFeed(gw.wsUrl, { token: VIEWER });
    later.send({ op: 'subscribe', topic: 'models' });
    await later.waitFor((m) => m.type === 'subscribed');
    // Staging and canary named v4: gone. Production and shadow name other versions, rej-lr is another model.
    expect(ofRej(later.messages)).toEqual([
      ['rej-mlp', 'promoted', 'production', 3],
      ['rej-mlp', 'promoted', 'shadow', 5],
      ['rej-lr', 'promoted', 'staging', 4],
      ['rej-mlp', 'rejected', null, 4],
    ]);
    // A later promotion to a cleared alias takes its slot again.
    const next = modelEvent(17, { name: 'rej-mlp', event: 'promoted', version: 6, alias: 'staging' });
    gw.bus.emit(gw.subjects.model(next.name, next.event), json(next));
    await settle(before + promoted.length + 2);
    const last = await connectFeed(gw.wsUrl, { token: VIEWER });
    last.send({ op: 'subscribe', topic: 'models' });
    await last.waitFor((m) => m.type === 'subscribed');
    expect(ofRej(last.messages)).toEqual([
      ['rej-mlp', 'promoted', 'production', 3],
      ['rej-mlp', 'promoted', 'shadow', 5],
      ['rej-lr', 'promoted', 'staging', 4],
      ['rej-mlp', 'rejected', null, 4],
      ['rej-mlp', 'promoted', 'staging', 6],
    ]);
    for (const c of [live, later, last]) c.ws.close();
  });
});
