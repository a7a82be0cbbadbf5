import type { BatchHandler, ConsumerSpec, Consumption, CorePublisher, Deferred, DurableConsumer, DurablePublisher, StreamAdmin } from '../streams/bus.js';
import type { MetricStage } from '../gateways/http/metrics.js';
import type { AssetProbe } from '../actors/asset-actor.js';
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

type AssetBus = DurablePublisher & CorePublisher & DurableConsumer & Pick<StreamAdmin, 'consumerInfo' | 'deleteConsumer'>;

/** The asset actors' ports, timed: their bus and the probe they mark their batches' steps on. */
export type TimedAssetPorts = Readonly<{ bus: AssetBus; probe: AssetProbe }>;

/**
 * The asset actors' bus and probe, timed. A batch handler's synchronous run is `decode` (decode
 * and validate the batch, refusals to the DLQ) until the actor marks `probe.decoded()`, then
 * `features` (rolling features updated, vectors built) until it returns; its deferred commit —
 * history and decisions stored, snapshot written — is `store`. A handler that marks nothing is
 * timed as `features` alone; one that returns a promise (not an asset actor) is timed as
 * `features` until it settles.
 */
export function timedAssetPorts(bus: AssetBus, t: StageTiming): TimedAssetPorts {
  const { sink, now } = t;
  /** When the running handler marked its batch decoded (handlers run one at a time; a nested one restores it). */
  let decodedAt: number | undefined;
  const probe: AssetProbe = {
    decoded: () => {
      decodedAt = now();
    },
  };
  const timed = (handler: BatchHandler): BatchHandler => (batch) => {
    const outer = decodedAt;
    decodedAt = undefined;
    const t0 = now();
    let r: ReturnType<BatchHandler>;
    let mark: number | undefined;
    try {
      r = handler(batch);
    } finally {
      mark = decodedAt;
      decodedAt = outer;
    }
    const t1 = now();
    const observeSync = (): void => {
      if (mark !== undefined) sink.observeStage('decode', mark - t0);
      sink.observeStage('features', t1 - (mark ?? t0));
    };
    if (isDeferred(r)) {
      observeSync();
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
    observeSync();
    return r;
  };
  return {
    bus: {
      publish: (subject, data, opts) => bus.publish(subject, data, opts),
      emit: (subject, data) => bus.emit(subject, data),
      consume: (spec: ConsumerSpec, handler: BatchHandler): Consumption => bus.consume(spec, timed(handler)),
      consumerInfo: (stream, durable) => bus.consumerInfo(stream, durable),
      deleteConsumer: (stream, durable) => bus.deleteConsumer(stream, durable),
    },
    probe,
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
