import { randomUUID } from 'node:crypto';
import { Match, headers } from '@nats-io/nats-core';
import type { MsgHdrs } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { createJsPublisher } from '../../streams/nats-publisher.js';
import { msgIdHeader } from '../../streams/nats-msg-id-header.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** What the client sends for a publish's headers (its internal `encode()`, the one thing this relies on). */
const wire = (h: MsgHdrs): string => {
  const encode = (h as unknown as { encode?: () => Uint8Array }).encode;
  if (typeof encode !== 'function') throw new Error('the client headers no longer have encode(): nats-msg-id-header.ts must follow');
  return new TextDecoder().decode(encode.call(h));
};

const clientHeader = (id: string): MsgHdrs => {
  const h = headers();
  h.set('Nats-Msg-Id', id);
  return h;
};

describe('the Nats-Msg-Id publish header', () => {
  it('is byte for byte what the client writes, and reads like the client headers', () => {
    for (const id of ['p:s1:f:b:binance:BTC/USDT:1h:1727000000000', 'x', 'ünïcødé:€', 'a b  c', 'id:with:colons: and spaces']) {
      const h = msgIdHeader(id);
      expect(wire(h)).toBe(wire(clientHeader(id)));
      expect(h.get('Nats-Msg-Id')).toBe(id);
      expect(h.get('nats-msg-id')).toBe('');
      expect(h.get('nats-msg-id', Match.IgnoreCase)).toBe(id);
      expect(h.has('Nats-Msg-Id')).toBe(true);
      expect(h.has('Other')).toBe(false);
      expect(h.values('Nats-Msg-Id')).toEqual([id]);
      expect(h.last('Nats-Msg-Id')).toBe(id);
      expect(h.keys()).toEqual(['Nats-Msg-Id']);
      expect([...h]).toEqual([['Nats-Msg-Id', [id]]]);
      expect(h.code).toBe(0);
      expect(h.hasError).toBe(false);
      expect(() => h.set('Nats-Msg-Id', 'other')).toThrow(/read-only/);
    }
  });

  it('leaves ids the client would trim or refuse to the client: the same bytes, the same error', () => {
    expect(wire(msgIdHeader('  padded '))).toBe(wire(clientHeader('  padded ')));
    expect(() => msgIdHeader('bad\r\nInjected: 1')).toThrow(/cannot contain/);
  });

  it('deduplicates on a real JetStream stream, and reaches subscribers as the header', async () => {
    const nc = await connect({ servers: NATS_URL });
    const ns = `sxhdr${randomUUID().slice(0, 8)}`;
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: ns.toUpperCase(), subjects: [`${ns}.>`], duplicate_window: 60_000_000_000 });
    const pub = createJsPublisher(nc, { timeoutMs: 5_000, maxInFlight: 100 });
    try {
      const seen: string[] = [];
      nc.subscribe(`${ns}.>`, { callback: (_e, m) => void seen.push(m.headers?.get('Nats-Msg-Id') ?? '(none)') });
      await nc.flush();
      const data = new TextEncoder().encode('{}');
      const a = await pub.publish(`${ns}.a`, data, 'id-1');
      const b = await pub.publish(`${ns}.a`, data, 'id-1');
      const c = await pub.publish(`${ns}.a`, data, 'id-2');
      expect(a.duplicate).toBe(false);
      expect(b).toEqual({ stream: a.stream, seq: a.seq, duplicate: true });
      expect(c).toMatchObject({ duplicate: false, seq: a.seq + 1 });
      await nc.flush();
      expect(seen).toEqual(['id-1', 'id-1', 'id-2']); // core subscribers see every publish; the stream stored two
      expect((await jsm.streams.info(ns.toUpperCase())).state.messages).toBe(2);
    } finally {
      pub.close();
      await jsm.streams.delete(ns.toUpperCase());
      await nc.close();
    }
  });
});
