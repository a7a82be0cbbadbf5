import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { BatchHandler, BusStatus, ConsumerSpec, Consumption, Deferred, Delivery } from './bus.js';
import { BusError, StreamNotFoundError } from './errors.js';
import { inboxFor, inboxPrefixOf } from './nats-inbox.js';
import { BUS_INBOX_REMEDY, inboxRefusedMessage, refusedInboxOf } from './nats-inbox-refusal.js';

export type PullDeps = Readonly<{
  nc: NatsConnection;
  jsm: () => Promise<JetStreamManager>;
  emitStatus: (s: BusStatus) => void;
  /** Resolves when the connection is up (at once if it is). */
  connected: () => Promise<void>;
  /** Calls back when the connection drops; returns the unsubscribe. */
  onDisconnect: (listener: () => void) => () => void;
  /** Timeout of acks, naks and JetStream API calls. */
  requestTimeoutMs: number;
}>;

const DEFAULT_BATCH = 256;
const DEFAULT_ACK_WAIT_MS = 30_000;
/** A pull long-polls this long when the stream has nothing new, then the next pull is sent. */
const PULL_EXPIRES_MS = 30_000;
/** The server proves an idle pull is alive this often; two missed and the pull is given up. */
const PULL_HEARTBEAT_MS = 5_000;
/**
 * Messages handled and still being committed (a handler's {@link Deferred}), in full batches,
 * past which the next pull waits. Counted in messages, not batches: live, batches hold one or two
 * messages, and a bound of a few batches would stop the pull whenever a commit takes longer than
 * a few messages' spacing — a stall that holds back every other asset at the event sequencer.
 */
const MAX_UNCOMMITTED = 2;
/**
 * Messages a durable of `batchSize` batches has out unacknowledged at most (those being committed,
 * the one handled, the one fetched ahead): what a restart can be delivered again.
 */
export const maxAckPending = (batchSize: number): number => Math.max((MAX_UNCOMMITTED + 2) * batchSize, 1_000);
const ACK = new TextEncoder().encode('+ACK');
const NAK = new TextEncoder().encode('-NAK');

type Pulled = { kind: 'done'; msgs: Msg[]; at: number } | { kind: 'lost'; reason: string; quiet: boolean } | { kind: 'stopped' };
/** How a pull ended: the server's expiry (what arrived before it still counts), a loss, or our stop. */
type PullEnd = { kind: 'expired' } | { kind: 'lost'; reason: string; quiet: boolean } | { kind: 'stopped' };
/**
 * One pull request, open while the server owes it deliveries. Deliveries are buffered in `msgs`
 * and taken as they come (`take`), not when the pull ends: a pull for a batch of 512 serves a
 * live stream for 512 messages, instead of one pull request and one end-of-pull status message
 * per message.
 */
type Pull = {
  id: number;
  msgs: Msg[];
  /** When the oldest of `msgs` arrived. */
  firstAt: number;
  /** Deliveries so far; at `batchSize` the server owes this pull nothing more. */
  received: number;
  lastActivity: number;
  end: PullEnd | undefined;
  /** Wakes a `take` waiting for a delivery or the end. */
  wake: (() => void) | undefined;
  finish: (r: PullEnd) => void;
};
type Received = { msg: Msg; delivery: Delivery; dseq: number };

/** Stream and delivery sequences from a JetStream ack subject (v1 `$JS.ACK.<stream>.<consumer>.<n>.<sseq>.<dseq>.<ts>.<pending>`, or v2 with domain and account). */
function ackInfo(reply: string): { delivered: number; sseq: number; dseq: number } | undefined {
  const t = reply.split('.');
  const at = t.length === 9 ? 4 : t.length >= 11 ? 6 : -1;
  if (at < 0 || t[0] !== '$JS' || t[1] !== 'ACK') return undefined;
  return { delivered: Number(t[at]), sseq: Number(t[at + 1]), dseq: Number(t[at + 2]) };
}

const isApiError = (e: unknown, code: number): boolean => e instanceof JetStreamApiError && e.code === code;

/**
 * A durable pull consumption with strictly ordered, whole-batch acknowledgement.
 *
 * Why not `consumer.consume()`: it keeps pulling ahead of the handler, and with AckPolicy.All an
 * ack of a later message silently acknowledges any earlier delivery that never reached us (lost in
 * a reconnect), while prefetched and naked messages make "redeliver in stream order" impossible to
 * guarantee. Instead one pull request is open at a time, for up to `batchSize` messages (long-polling
 * up to `expires`), and what it has delivered is handed over as it comes: each batch is what
 * arrived while the previous one was handled, so a live stream costs one pull request per
 * `batchSize` messages and no end-of-pull status per message. When a pull is served in full
 * (more is likely waiting), the next one is sent before the handler runs, so the network fetches
 * while a batch is processed; delivery sequences are checked to be contiguous before a batch
 * reaches the handler. After the handler resolves, the batch's last message is acked without
 * waiting for the confirmation (AckPolicy.All: a later ack covers a lost one, and the caller's
 * snapshot, committed before the ack, skips anything redelivered). A handler may resolve with a
 * `Deferred` commit: the next batch is handed over at once and this one acked when its commit
 * (and every earlier one) is done; at most MAX_UNCOMMITTED full batches' worth of messages wait
 * (however many batches hold them), so at most MAX_UNCOMMITTED + 2 batches' worth are ever
 * delivered and unacknowledged. A failed commit acks nothing from that batch on and re-anchors.
 * When the handler rejects, the batch is nak'ed in order (confirmed) and the open pull, with
 * whatever it brought after the batch, is abandoned by re-anchoring, which puts the batch at the
 * head of the redelivery queue, ahead of anything new.
 *
 * Any doubt about what the server delivered (a gap in delivery sequence, a stale delivery, a
 * lost pull, a failed ack, a reconnect) re-anchors: if the durable has unacknowledged deliveries,
 * it is recreated at its ack floor, so redelivery is in stream order at once instead of after
 * `ack_wait` behind newer messages (nats-server 2.9 has no consumer reset). Messages delivered
 * before a re-anchor are flagged `redelivered`. One consumption per durable at a time: one
 * engine process runs every asset (no leases across processes are built; docs/architecture.md).
 */
/**
 * Stream sequence up to which a durable has acknowledged everything. One that has acknowledged
 * nothing yet reports an ack floor of 0, also when it was created to start later (as a re-anchored
 * one is): then its floor is just before its start, not the beginning of the stream.
 */
export function ackFloorOf(info: ConsumerInfo): number {
  const c = info.config;
  const startFloor = c.deliver_policy === DeliverPolicy.StartSequence ? (c.opt_start_seq ?? 1) - 1 : 0;
  return Math.max(info.ack_floor.stream_seq, startFloor);
}

export function pullConsume(deps: PullDeps, spec: ConsumerSpec, handler: BatchHandler): Consumption {
  const { nc } = deps;
  const batchSize = spec.batchSize ?? DEFAULT_BATCH;
  const ackWaitMs = spec.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  const nextSubject = `$JS.API.CONSUMER.MSG.NEXT.${spec.stream}.${spec.durable}`;
  const pullBody = JSON.stringify({ batch: batchSize, expires: nanos(PULL_EXPIRES_MS), idle_heartbeat: nanos(PULL_HEARTBEAT_MS) });

  let stopped = false;
  let current: Pull | undefined;
  let reqNo = 0;
  /** Set when something arrived that is not part of the pull in hand: the durable must be re-anchored. */
  let anomaly: string | undefined;
  let lastDseq = 0;
  let ackedSeq = spec.startAfter ?? 0;
  let redeliveredUpTo = 0;
  /** Highest stream sequence handed to the handler by this consumption: anything at or below it that comes again is a repeat, even if the server forgot the delivery (state lost in a crash). */
  let handedUpTo = 0;
  let wakeSleep: (() => void) | undefined;
  let onStop = (): void => {};
  const stopping = new Promise<void>((r) => (onStop = r));

  let inbox = '';
  let sub: Subscription | undefined;
  /** Set when the server refused the pull inbox: the consumption ends with it. */
  let refused: BusError | undefined;
  const onMessage = (err: Error | null, m: Msg): void => {
    if (err !== null) {
      // A subscription error: said as the consumer's error, so the cause shows. The server's
      // refusal of the inbox (a login that may not read it) also ends the consumption, not
      // retryable: no pull could ever be answered, and it would only miss heartbeats forever.
      const refusedAt = refusedInboxOf(err, inboxPrefixOf(nc));
      const error = refusedAt === undefined ? `subscription error: ${err.message}` : `consumer ${spec.durable} of ${spec.stream} cannot receive: ${inboxRefusedMessage(refusedAt, inboxPrefixOf(nc), BUS_INBOX_REMEDY)}`;
      deps.emitStatus({ type: 'consumer-error', durable: spec.durable, error });
      if (refusedAt !== undefined && refused === undefined) {
        refused = new BusError(error, false, { cause: err });
        current?.finish({ kind: 'lost', reason: error, quiet: true });
        wakeSleep?.();
      }
      return;
    }
    const p = current;
    const isStatus = m.reply === '' || m.reply === undefined;
    // Deliveries keep their own subject; only statuses come on `<inbox>.<pull id>`. At most one
    // pull is outstanding per inbox, so a delivery with none outstanding is a stray.
    if (p === undefined || (isStatus && m.subject !== `${inbox}.${p.id}`)) {
      if (!isStatus) anomaly ??= 'a delivery arrived outside its pull';
      return;
    }
    if (p.end !== undefined) {
      if (!isStatus) anomaly ??= 'a delivery arrived after its pull ended';
      return;
    }
    p.lastActivity = performance.now();
    if (isStatus) {
      const code = m.headers?.code ?? 0;
      if (code === 100) return; // idle heartbeat
      if (code === 404 || code === 408) p.finish({ kind: 'expired' });
      else p.finish({ kind: 'lost', reason: `pull ended: ${code} ${m.headers?.description ?? ''}`.trim(), quiet: false });
      return;
    }
    if (p.msgs.length === 0) p.firstAt = p.lastActivity;
    p.msgs.push(m);
    p.received++;
    if (p.received >= batchSize) p.finish({ kind: 'expired' }); // served in full: nothing more comes on it
    else if (p.wake !== undefined) p.wake();
  };
  /** A fresh inbox drops interest in abandoned pulls, so the server stops delivering to them. */
  const resubscribe = (): void => {
    sub?.unsubscribe();
    inbox = inboxFor(nc);
    sub = nc.subscribe(`${inbox}.*`, { callback: onMessage });
  };

  /** Opens a pull for up to `batchSize` messages (long-polling up to PULL_EXPIRES_MS); it becomes `current`. */
  const pull = (): Pull => {
    const id = ++reqNo;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const p: Pull = {
      id,
      msgs: [],
      firstAt: 0,
      received: 0,
      lastActivity: performance.now(),
      end: undefined,
      wake: undefined,
      finish: (r) => {
        if (p.end !== undefined) return;
        p.end = r;
        clearTimeout(timer);
        p.wake?.();
      },
    };
    const limit = 2 * PULL_HEARTBEAT_MS + 1_000;
    const watchdog = (): void => {
      const idle = performance.now() - p.lastActivity;
      if (idle >= limit) p.finish({ kind: 'lost', reason: 'heartbeats missed', quiet: false });
      else timer = setTimeout(watchdog, limit - idle);
    };
    current = p;
    timer = setTimeout(watchdog, limit);
    nc.publish(nextSubject, pullBody, { reply: `${inbox}.${id}` });
    return p;
  };

  /**
   * What `p` delivered since the last take (at least one message), or how it ended once it holds
   * nothing more. A lost or stopped pull drops what it holds: the re-anchor brings it again.
   */
  const take = async (p: Pull): Promise<Pulled> => {
    for (;;) {
      const end = p.end;
      if (end !== undefined && end.kind !== 'expired') return end;
      if (p.msgs.length > 0) {
        const msgs = p.msgs;
        p.msgs = [];
        return { kind: 'done', msgs, at: p.firstAt };
      }
      if (end !== undefined) return { kind: 'done', msgs: [], at: performance.now() };
      // Woken by the first delivery of a burst: by the time this continues, the rest of what the
      // socket brought in the same read has been parsed and is taken along.
      await new Promise<void>((resolve) => (p.wake = resolve));
      p.wake = undefined;
    }
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        wakeSleep = undefined;
        resolve();
      }
      wakeSleep = done;
    });

  const consumerConfig = (floor: number): Partial<ConsumerConfig> => ({
    durable_name: spec.durable,
    ack_policy: AckPolicy.All,
    ack_wait: nanos(ackWaitMs),
    // No filter is no field: an empty one makes nats.js ask a create subject 2.9 does not answer.
    ...(spec.filterSubject !== '' ? { filter_subject: spec.filterSubject } : {}),
    // Batches out at once: those being committed, the one handled, the one fetched ahead.
    max_ack_pending: maxAckPending(batchSize),
    ...(floor > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 } : { deliver_policy: DeliverPolicy.All }),
  });

  const consumerInfo = async (m: JetStreamManager): Promise<ConsumerInfo | undefined> => {
    try {
      return await m.consumers.info(spec.stream, spec.durable);
    } catch (e) {
      if (isApiError(e, JetStreamApiCodes.StreamNotFound)) throw new StreamNotFoundError(spec.stream, { cause: e });
      if (isApiError(e, JetStreamApiCodes.ConsumerNotFound)) return undefined;
      throw e;
    }
  };

  /** Makes the server's view match ours: nothing delivered and unacknowledged, config as specified. */
  const anchor = async (): Promise<void> => {
    const m = await deps.jsm();
    const info = await consumerInfo(m);
    if (info === undefined) {
      await m.consumers.add(spec.stream, consumerConfig(ackedSeq));
      lastDseq = 0;
      return;
    }
    const c = info.config;
    if (info.num_ack_pending > 0 || c.ack_policy !== AckPolicy.All || (c.deliver_subject ?? '') !== '') {
      const floor = Math.max(ackFloorOf(info), ackedSeq);
      redeliveredUpTo = Math.max(redeliveredUpTo, info.delivered.stream_seq);
      await m.consumers.delete(spec.stream, spec.durable);
      await m.consumers.add(spec.stream, consumerConfig(floor));
      lastDseq = 0;
      return;
    }
    const want = consumerConfig(0);
    if ((c.filter_subject ?? '') !== (want.filter_subject ?? '') || c.ack_wait !== want.ack_wait || c.max_ack_pending !== want.max_ack_pending) {
      await m.consumers.update(spec.stream, spec.durable, { filter_subject: want.filter_subject, ack_wait: want.ack_wait, max_ack_pending: want.max_ack_pending });
    }
    lastDseq = info.delivered.consumer_seq;
  };

  /** Deliveries of a finished pull, or undefined when they are not the next ones the durable owes us. */
  const receive = (msgs: Msg[]): Received[] | undefined => {
    const out: Received[] = [];
    let expect = lastDseq + 1;
    for (const msg of msgs) {
      const info = ackInfo(msg.reply ?? '');
      if (info === undefined || info.dseq !== expect) return undefined;
      expect++;
      out.push({ msg, dseq: info.dseq, delivery: { subject: msg.subject, data: msg.data, streamSeq: info.sseq, redelivered: info.delivered > 1 || info.sseq <= redeliveredUpTo || info.sseq <= handedUpTo } });
    }
    return out;
  };

  const settle = async (batch: Received[], how: Uint8Array): Promise<void> => {
    for (let i = 0; i < batch.length - 1; i++) nc.publish((batch[i] as Received).msg.reply as string, how);
    await nc.request((batch[batch.length - 1] as Received).msg.reply as string, how, { timeout: deps.requestTimeoutMs });
  };

  /** Gives up the pull in hand: a fresh inbox drops it (the server stops delivering to it); the caller re-anchors, which redelivers what it held. */
  const giveUpPull = (): void => {
    current?.finish({ kind: 'stopped' });
    current = undefined;
    resubscribe();
  };

  const consumerError = (error: string): void => deps.emitStatus({ type: 'consumer-error', durable: spec.durable, error });

  const run = async (): Promise<void> => {
    let needsAnchor = true;
    let anchorFailures = 0;
    let handlerFailures = 0;
    /** Deferred commits in handling order, each acking its batch once it and the earlier ones are done. */
    let uncommitted: { settled: Promise<void>; n: number }[] = [];
    let uncommittedMsgs = 0;
    let acked: Promise<void> = Promise.resolve();
    /** When each batch handed over and not yet acked was delivered, oldest first. */
    let unackedSince: number[] = [];
    /** The server's confirmation of an ack of old deliveries, awaited before the next pull. */
    let confirming: Promise<void> | undefined;
    /** Reply subject of the last ack sent without waiting for the server's confirmation. */
    let unconfirmedAck: string | undefined;
    /**
     * Acks the oldest batch still unacknowledged (acks go in batch order). Deliveries older than
     * half of ack_wait may already sit in the server's redelivery queue: that ack is confirmed
     * before anything is pulled again, or the next pull could bring them back.
     */
    const ackOldest = (last: Received): void => {
      const at = unackedSince.shift() ?? performance.now();
      ackedSeq = last.delivery.streamSeq;
      if (performance.now() - at < ackWaitMs / 2) {
        nc.publish(last.msg.reply as string, ACK);
        unconfirmedAck = last.msg.reply as string;
        return;
      }
      unconfirmedAck = undefined;
      const previous = confirming ?? Promise.resolve();
      confirming = previous.then(() =>
        nc.request(last.msg.reply as string, ACK, { timeout: deps.requestTimeoutMs }).then(
          () => undefined,
          (e: unknown) => {
            // Unknown whether the ack landed: the ack floor will tell; the batch may come again.
            anomaly ??= `ack failed: ${(e as Error).message}`;
          },
        ),
      );
    };
    let commitFailure: string | undefined;
    const ackWhenCommitted = (d: Deferred, last: Received, n: number): void => {
      const earlier = acked;
      const settled = (d.checkpointed ?? d.committed).then(
        async () => {
          await earlier;
          if (commitFailure !== undefined) return; // a batch before it failed: ack nothing past it
          ackOldest(last);
        },
        (e: unknown) => {
          commitFailure ??= `commit failed: ${e instanceof Error ? e.message : String(e)}`;
        },
      );
      acked = settled;
      uncommitted.push({ settled, n });
      uncommittedMsgs += n;
    };
    const drainCommits = async (): Promise<void> => {
      await Promise.all(uncommitted.map((u) => u.settled));
      uncommitted = [];
      uncommittedMsgs = 0;
    };
    resubscribe();
    const stopWatching = deps.onDisconnect(() => current?.finish({ kind: 'lost', reason: 'disconnected', quiet: true }));
    try {
      while (!stopped) {
        if (refused !== undefined) throw refused;
        if (commitFailure !== undefined) {
          // Something handled could not be committed: redeliver from the last acknowledged batch.
          await drainCommits();
          consumerError(commitFailure);
          commitFailure = undefined;
          giveUpPull();
          needsAnchor = true;
        }
        if (needsAnchor || anomaly !== undefined) {
          await drainCommits();
          if (current !== undefined) giveUpPull();
          try {
            await Promise.race([deps.connected(), stopping]);
            if (stopped) break;
            anomaly = undefined;
            unackedSince = []; // the re-anchored durable owes us everything unacknowledged again
            await anchor();
            needsAnchor = false;
            anchorFailures = 0;
          } catch (e) {
            if (e instanceof StreamNotFoundError || nc.isClosed()) throw e;
            if (refused !== undefined) throw refused;
            // The JetStream API's replies come on the same inbox prefix: refused there, no retry can set the durable up.
            const refusedAt = refusedInboxOf(e, inboxPrefixOf(nc));
            if (refusedAt !== undefined) throw new BusError(`cannot set up consumer ${spec.durable}: ${inboxRefusedMessage(refusedAt, inboxPrefixOf(nc), BUS_INBOX_REMEDY)}`, false, { cause: e });
            consumerError(`cannot set up consumer ${spec.durable}: ${(e as Error).message}`);
            await sleep(Math.min(5_000, 250 * 2 ** anchorFailures++));
          }
          continue;
        }
        if (current === undefined && confirming !== undefined) {
          await confirming;
          confirming = undefined;
          continue; // a failed confirmation asks for a re-anchor first
        }
        const p = current ?? pull();
        const r = await take(p);
        if (r.kind === 'stopped') break;
        if (r.kind === 'lost') {
          current = undefined;
          if (!r.quiet) consumerError(r.reason);
          resubscribe();
          needsAnchor = true;
          continue;
        }
        if (r.msgs.length === 0) {
          current = undefined; // expired, everything it brought handed over: the next pull is sent above
          continue;
        }
        const batch = anomaly === undefined ? receive(r.msgs) : undefined;
        if (batch === undefined) {
          // Not what the durable owes us next: hand nothing, ack nothing, realign with the server.
          consumerError(anomaly ?? 'deliveries out of sequence');
          giveUpPull();
          needsAnchor = true;
          continue;
        }
        const last = batch[batch.length - 1] as Received;
        lastDseq = last.dseq;
        handedUpTo = Math.max(handedUpTo, last.delivery.streamSeq);
        unackedSince.push(r.at);
        // A pull served in full says more is likely waiting: send the next one while this batch
        // is handled — unless what we hold unacknowledged is getting old, when a pull would only
        // bring back its redelivery (ack_wait runs out while it waits behind a slow handler or commit).
        if (p.end !== undefined && p.msgs.length === 0) {
          current = undefined;
          if (!stopped && confirming === undefined && performance.now() - (unackedSince[0] ?? r.at) < ackWaitMs / 2) pull();
        }
        let result: void | Deferred;
        try {
          result = await handler(batch.map((b) => b.delivery));
        } catch (e) {
          consumerError(e instanceof Error ? e.message : String(e));
          if (current !== undefined) {
            // A pull is open and may bring (or hold) what follows: give it up, so the nak'ed batch
            // comes again first, in order, after the re-anchor.
            giveUpPull();
            needsAnchor = true;
          }
          unackedSince.pop(); // nak'ed: no longer ours
          await settle(batch, NAK).catch(() => (needsAnchor = true));
          await sleep(Math.min(5_000, 100 * 2 ** handlerFailures++));
          continue;
        }
        handlerFailures = 0;
        if (result === undefined) {
          await acked; // acks stay in batch order behind any deferred commit
          if (commitFailure === undefined) ackOldest(last);
        } else {
          ackWhenCommitted(result, last, batch.length);
          while (uncommittedMsgs > MAX_UNCOMMITTED * batchSize) {
            const oldest = uncommitted.shift() as { settled: Promise<void>; n: number };
            uncommittedMsgs -= oldest.n;
            await oldest.settled;
          }
        }
      }
      await drainCommits();
      await confirming;
      // The last ack went out unconfirmed. A flush proves only that the server read it: nats-server
      // applies acks on a queue of its own, so a durable looked at right after (a restart) could
      // still show the batch unacknowledged and deliver it again. Acking it once more with a reply
      // waits until the server has applied it (acking an acknowledged sequence again changes nothing).
      if (unconfirmedAck !== undefined && !nc.isClosed()) {
        await nc.request(unconfirmedAck, ACK, { timeout: deps.requestTimeoutMs }).catch(() => {});
      }
    } finally {
      current?.finish({ kind: 'stopped' });
      stopWatching();
      sub?.unsubscribe();
    }
  };

  const done = run().catch((e: unknown) => {
    if (nc.isClosed() && !(e instanceof StreamNotFoundError)) return; // closed under us: an orderly end
    throw e instanceof BusError ? e : new BusError(`consumer ${spec.durable} failed: ${(e as Error).message}`, false, { cause: e });
  });
  done.catch(() => {}); // the caller may never look at `done`; its rejection is theirs to observe

  return {
    stop: async () => {
      stopped = true;
      onStop();
      current?.finish({ kind: 'stopped' });
      wakeSleep?.();
      await done.catch(() => {});
    },
    done,
  };
}
