import { Observable, from } from 'rxjs';
import type { ObservableInput } from 'rxjs';
import type { Bus, ConsumerSpec, Delivery } from './bus.js';

export type CoreMessage = Readonly<{ subject: string; data: Uint8Array }>;

/**
 * Core messages on a subject pattern as an Observable: subscribing subscribes on the bus,
 * unsubscribing unsubscribes. At-most-once, like core NATS: for dashboards and watchers.
 *
 * @example fromSubscription(bus, subjects.allFeatures()).pipe(map((m) => decode(m.data)))
 */
export function fromSubscription(bus: Pick<Bus, 'subscribe'>, pattern: string): Observable<CoreMessage> {
  return new Observable<CoreMessage>((subscriber) => {
    const sub = bus.subscribe(pattern, (subject, data) => subscriber.next({ subject, data }));
    return () => sub.unsubscribe();
  });
}

/**
 * The batches of a durable consumer, each acknowledged as soon as `next` returns — that is, once
 * every synchronous observer downstream has processed it. Use it when processing is synchronous
 * (decode, fold into in-memory state); for asynchronous work use {@link consumeBatches}, which
 * acknowledges only when that work completes. An observer that throws does not cause redelivery
 * (rxjs reports the error and carries on), so do not rely on throwing to refuse a batch.
 *
 * Unsubscribing stops the consumption (after the batch in hand); the Observable completes when
 * the consumption ends (bus closed) and errors when it fails (e.g. the stream does not exist).
 */
export function fromConsumption(bus: Pick<Bus, 'consume'>, spec: ConsumerSpec): Observable<readonly Delivery[]> {
  return new Observable<readonly Delivery[]>((subscriber) => {
    const c = bus.consume(spec, (batch) => subscriber.next(batch));
    c.done.then(
      () => subscriber.complete(),
      (e: unknown) => subscriber.error(e),
    );
    return () => void c.stop();
  });
}

/**
 * Runs `work` on every batch of a durable consumer, one batch at a time in stream order, and emits
 * what it emits. A batch is acknowledged when its `work` completes; when `work` errors the batch
 * is redelivered (and a `consumer-error` status is reported) while the Observable carries on — the
 * same contract as `Bus.consume`, whose handler this is. Backpressure is natural: the next batch
 * is not fetched before the previous one's work completed.
 *
 * @example
 * consumeBatches(bus, spec, (batch) => from(store.insertBars(batch.map(decodeBar)))).subscribe()
 */
export function consumeBatches<R>(bus: Pick<Bus, 'consume'>, spec: ConsumerSpec, work: (batch: readonly Delivery[]) => ObservableInput<R>): Observable<R> {
  return new Observable<R>((subscriber) => {
    const c = bus.consume(
      spec,
      (batch) =>
        new Promise<void>((resolve, reject) => {
          // Values go downstream as they come; the ack waits for completion. An error only
          // rejects the handler (redelivery): the outer stream is the consumption, which goes on.
          from(work(batch)).subscribe({ next: (v) => subscriber.next(v), error: reject, complete: resolve });
        }),
    );
    c.done.then(
      () => subscriber.complete(),
      (e: unknown) => subscriber.error(e),
    );
    return () => void c.stop();
  });
}
