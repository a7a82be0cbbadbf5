import type { BatchHandler, BusStatus, ConsumerSpec, Consumption, Delivery } from './bus.js';
import { StreamNotFoundError } from './errors.js';
import type { Durable, MemoryStream, StoredMessage } from './memory-stream.js';
import { firstAfter } from './memory-stream.js';

const DEFAULT_BATCH = 256;

export type ConsumptionDeps = Readonly<{ emitStatus: (s: BusStatus) => void; isClosed: () => boolean; acked: (() => void) | undefined }>;

/**
 * One consumption of a memory-bus durable: batches in stream order, read from the durable's
 * filter index (its own messages only), acked whole on success, handed again on failure.
 */
export function runConsumption(s: MemoryStream, durable: Durable, spec: ConsumerSpec, handler: BatchHandler, deps: ConsumptionDeps): Consumption {
  const batchSize = spec.batchSize ?? DEFAULT_BATCH;
  const x = durable.index;
  let stopped = false;
  let interrupt: (() => void) | undefined;
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        interrupt = undefined;
        resolve();
      }, ms);
      interrupt = () => {
        clearTimeout(t);
        resolve();
      };
    });
  const messages = (): Promise<void> =>
    new Promise<void>((resolve) => {
      s.wakers.add(resolve);
      interrupt = resolve;
    });
  /** The index position after the acknowledged messages (absolute, so a trim of the front does not move it). */
  const afterAcked = (): number => x.offset + firstAfter(x.msgs, durable.ackFloor);

  /** Acknowledgements waiting for checkpoints, in batch order. */
  let acking: Promise<void> = Promise.resolve();
  let ackFailed = false;
  const ack = (batch: readonly Delivery[], last: number): void => {
    if (ackFailed || last <= durable.ackFloor) return;
    durable.ackFloor = last;
    if (durable.redeliver.size > 0) for (const d of batch) durable.redeliver.delete(d.streamSeq);
    deps.acked?.();
  };

  const loop = async (): Promise<void> => {
    let cursor = afterAcked();
    let failures = 0;
    while (!stopped && !deps.isClosed()) {
      if (s.deleted) throw new StreamNotFoundError(s.spec.name);
      const from = cursor - x.offset;
      const to = Math.min(x.msgs.length, from + batchSize);
      if (from >= to) {
        await messages();
        continue;
      }
      const batch: Delivery[] = x.msgs.slice(from, to);
      cursor += to - from;
      if (durable.redeliver.size > 0) for (let i = 0; i < batch.length; i++) if (durable.redeliver.has((batch[i] as Delivery).streamSeq)) batch[i] = redelivery(batch[i] as StoredMessage);
      const last = (batch[batch.length - 1] as Delivery).streamSeq;
      durable.delivered = last;
      let checkpointed: Promise<void> | undefined;
      try {
        // In memory there is no round trip to hide: a deferred commit is awaited here, so the
        // pipeline degenerates to the plain handle → commit → ack (and backtests stay sequential).
        const result = await handler(batch);
        if (result !== undefined) await result.committed;
        checkpointed = result?.checkpointed;
      } catch (e) {
        for (const d of batch) durable.redeliver.add(d.streamSeq);
        deps.emitStatus({ type: 'consumer-error', durable: spec.durable, error: e instanceof Error ? e.message : String(e) });
        cursor = afterAcked();
        durable.delivered = durable.ackFloor;
        if (!stopped) await pause(Math.min(1_000, 10 * 2 ** failures++));
        continue;
      }
      failures = 0;
      if (checkpointed !== undefined) {
        // Acknowledged once the handler's state covering it is saved, in batch order; a failed
        // checkpoint acknowledges nothing more (the handler stops, its successor resumes there).
        const earlier = acking;
        acking = Promise.all([earlier, checkpointed]).then(
          () => ack(batch, last),
          (e: unknown) => {
            if (!ackFailed) deps.emitStatus({ type: 'consumer-error', durable: spec.durable, error: `checkpoint failed: ${e instanceof Error ? e.message : String(e)}` });
            ackFailed = true;
          },
        );
      } else {
        await acking;
        ack(batch, last);
      }
      if (!stopped) await new Promise<void>((r) => setImmediate(r));
    }
  };

  const done = loop();
  done.catch(() => {}); // observed by whoever awaits `done`; never an unhandled rejection
  return {
    stop: async () => {
      stopped = true;
      interrupt?.();
      await done.catch(() => {});
      // As the NATS consumption does: the batches handed over are acknowledged once their
      // checkpoints land (a handler's stop flushes them), so a durable read right after the stop
      // shows them acknowledged. A failed checkpoint ends this wait too (nothing more is acked).
      await acking;
    },
    done,
  };
}

/** A stored message handed again after its batch failed: the same message, marked `redelivered`. */
function redelivery(m: StoredMessage): Delivery & Readonly<{ value?: object }> {
  return {
    subject: m.subject,
    streamSeq: m.streamSeq,
    redelivered: true,
    ...(m.value === undefined ? {} : { value: m.value }),
    get data() {
      return m.data;
    },
  };
}
