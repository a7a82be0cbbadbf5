import { nanos } from '@nats-io/nats-core';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { inboxFor } from '../streams/nats-inbox.js';
import { inboxRefusal } from './errors.js';

/** One delivery of a pull, with what its ack subject says about it. */
export type Delivery = Readonly<{ subject: string; data: Uint8Array; reply: string; streamSeq: number; redelivered: boolean; tsMs: number }>;

export type Puller = {
  /**
   * What is available now (up to `batch`), or, when nothing is, whatever arrives within `expiresMs`; [] when none did.
   * Rejects once the server refused the pull's inbox subscription (`InboxRefusedError`: a
   * connection without its login's `inboxPrefix`), or nats.js ended it with another error.
   */
  pull(): Promise<Delivery[]>;
  /**
   * Ends the puller. A long poll still open on the server keeps its subscription until it expires,
   * and anything delivered to it meanwhile is handed back at once instead of waiting for `ack_wait`.
   */
  close(): void;
};

export type PullerSpec = Readonly<{ stream: string; durable: string; batch: number; expiresMs: number }>;

/**
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>` (v1) or with domain and
 * account hash in front (v2): delivery count, stream sequence and the stored time in ns.
 */
function parseAck(reply: string): { delivered: number; sseq: number; tsMs: number } | undefined {
  const t = reply.split('.');
  const at = t.length === 9 ? 4 : t.length >= 11 ? 6 : -1;
  if (at < 0 || t[0] !== '$JS' || t[1] !== 'ACK') return undefined;
  return { delivered: Number(t[at]), sseq: Number(t[at + 1]), tsMs: Number(BigInt(t[at + 3] ?? '0') / 1_000_000n) };
}

const NAK = new TextEncoder().encode('-NAK');

/**
 * Pull requests with `no_wait` + `expires`: the server answers with what it has at once (up to the
 * batch) and ends the request, or long-polls while it has nothing. So no request is left open on
 * the server while messages are being handled, and a message handed back (nak) on stop is
 * redelivered to the next pull of the durable, not to an abandoned request (nats-server 2.9 keeps
 * delivering to a pull whose subscriber is gone; the nats.js `consume()`/`fetch()` requests stay
 * open until the batch is full, so they cannot give this guarantee).
 */
export function createPuller(nc: NatsConnection, spec: PullerSpec): Puller {
  const inbox = inboxFor(nc);
  const nextSubject = `$JS.API.CONSUMER.MSG.NEXT.${spec.stream}.${spec.durable}`;
  const body = JSON.stringify({ batch: spec.batch, no_wait: true, expires: nanos(spec.expiresMs) });
  let reqNo = 0;
  let closed = false;
  let current: { id: number; got: Delivery[]; finish: () => void; fail: (e: Error) => void } | undefined;
  /** Why the inbox subscription ended (nats.js closes one the server refused): every pull fails with it. */
  let broken: Error | undefined;

  const onMessage = (err: Error | null, m: Msg): void => {
    if (err !== null) {
      broken = inboxRefusal(err, nc) ?? new Error(`the subscription for pulls from ${spec.durable} on ${spec.stream} failed: ${err.message}`, { cause: err });
      current?.fail(broken);
      return;
    }
    const isStatus = m.reply === undefined || m.reply === '';
    if (!isStatus) {
      const info = parseAck(m.reply as string);
      if (current === undefined || info === undefined) {
        // Delivered to a request nobody waits for any more (closed): hand it back at once.
        if (info !== undefined) nc.publish(m.reply as string, NAK);
        return;
      }
      current.got.push({ subject: m.subject, data: m.data, reply: m.reply as string, streamSeq: info.sseq, redelivered: info.delivered > 1, tsMs: info.tsMs });
      if (current.got.length >= spec.batch) current.finish();
      return;
    }
    if (current !== undefined && m.subject === `${inbox}.${current.id}`) {
      const code = m.headers?.code ?? 0;
      if (code !== 100) current.finish(); // 404 nothing / 408 expired / 409 …: this request is over
    }
  };
  const sub: Subscription = nc.subscribe(`${inbox}.*`, { callback: onMessage });

  return {
    pull: () =>
      new Promise<Delivery[]>((resolve, reject) => {
        if (closed) return resolve([]);
        if (broken !== undefined) return reject(broken);
        const id = ++reqNo;
        const got: Delivery[] = [];
        // A request whose end never arrives (a reconnect lost it) is given up after its expiry.
        const timer = setTimeout(() => entry.finish(), spec.expiresMs + 2_000);
        const entry = {
          id,
          got,
          finish: () => {
            if (current !== entry) return;
            current = undefined;
            clearTimeout(timer);
            resolve(got);
          },
          fail: (e: Error) => {
            if (current !== entry) return;
            current = undefined;
            clearTimeout(timer);
            reject(e);
          },
        };
        current = entry;
        nc.publish(nextSubject, body, { reply: `${inbox}.${id}` });
      }),
    close: () => {
      if (closed) return;
      closed = true;
      const open = current !== undefined;
      current?.finish();
      if (!open) return sub.unsubscribe();
      // A long poll may still deliver: keep listening (handing back) until it expires on the server.
      setTimeout(() => sub.unsubscribe(), spec.expiresMs + 500).unref();
    },
  };
}
