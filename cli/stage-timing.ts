import type { BatchHandler, ConsumerSpec, Consumption, CorePublisher, Deferred, DurableConsumer, DurablePublisher } from '../streams/bus.js';
import type { MetricStage } from '../gateways/http/metrics.js';
import type { ReleaseResult } from '../actors/event-sequencer.js';

/** Where stage latencies go (`EngineMetrics` is one). */
export type EngineMetricsSink = Readonly<{ observeStage(stage: MetricStage, ms: number): void }>;

/**
 * The engine's stage timing: a sink and the monotonic clock it is measured with. The wall clock
 * lives here in cli/, never in actors/: the actors are timed from the outside, by wrapping the
 * ports they are handed, so an engine started without a sink runs exactly the code it ran before.
 */
export type StageTiming = Readonly<{ sink: EngineMetricsSink; now: () => number }>;

export const stageTiming = (sink: EngineMetricsSink, now: () => number = () => performance.now()): StageTiming => ({ sink, now });

const isDeferred = (r: unknown): r is Deferred => typeof r === 'object' && r !== null && 'committed' in r;

type AssetBus = DurablePublisher & CorePublisher & DurableConsumer;

/**
 * The asset actors' bus, timed: a batch handler's synchronous run is decode + features
 * (`features`: the actor decodes, gates and updates its rolling features before it returns), and
 * its deferred commit — history and decisions stored, snapshot written — is `store`. A handler
 * that returns a promise (not an asset actor) is timed as `features` until it settles.
 */
export function timedAssetBus(bus: AssetBus, t: StageTiming): AssetBus {
  const { sink, now } = t;
  const timed = (handler: BatchHandler): BatchHandler => (batch) => {
    const t0 = now();
    const r = handler(batch);
    const t1 = now();
    if (isDeferred(r)) {
      sink.observeStage('features', t1 - t0);
      r.committed.then(
        () => sink.observeStage('store', now() - t1),
        () => {},
      );
      return r;
    }
    if (r instanceof Promise) {
      return r.then((v) => {
        sink.observeStage('features', now() - t0);
        return v;
      });
    }
    sink.observeStage('features', t1 - t0);
    return r;
  };
  return {
    publish: (subject, data, opts) => bus.publish(subject, data, opts),
    emit: (subject, data) => bus.emit(subject, data),
    consume: (spec: ConsumerSpec, handler: BatchHandler): Consumption => bus.consume(spec, timed(handler)),
  };
}

/**
 * A decision release, timed: `decide` until its events are decided (strategy inference,
 * execution, risk, venue), `publish` from then until its outputs are acknowledged by JetStream
 * and the risk book is stored (`settled`).
 */
export function timedRelease<E>(release: (events: E) => Promise<ReleaseResult>, t: StageTiming): (events: E) => Promise<ReleaseResult> {
  const { sink, now } = t;
  return async (events) => {
    const t0 = now();
    const r = await release(events);
    const t1 = now();
    sink.observeStage('decide', t1 - t0);
    if (r !== undefined) {
      r.settled.then(
        () => sink.observeStage('publish', now() - t1),
        () => {},
      );
    }
    return r;
  };
}
