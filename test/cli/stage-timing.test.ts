import { describe, expect, it } from 'vitest';
import type { MetricStage } from '../../gateways/http/metrics.js';
import { stageTiming, timedAssetPorts } from '../../cli/stage-timing.js';
import type { BatchHandler, Consumption, Delivery } from '../../streams/bus.js';

/** A clock the handlers under test move by hand, a sink that keeps what it is told, and a bus that hands back the handler it is given. */
function rig() {
  let t = 0;
  const observed: Array<[MetricStage, number]> = [];
  const handlers: BatchHandler[] = [];
  const bus = {
    publish: () => Promise.reject(new Error('not used')),
    emit: () => {},
    consume: (_spec: unknown, h: BatchHandler): Consumption => {
      handlers.push(h);
      return { stop: () => Promise.resolve(), done: Promise.resolve() };
    },
    consumerInfo: () => Promise.resolve(undefined),
    deleteConsumer: () => Promise.resolve(),
  };
  const ports = timedAssetPorts(bus, stageTiming({ observeStage: (s, ms) => observed.push([s, ms]) }, () => t));
  const consume = (h: BatchHandler): BatchHandler => {
    ports.bus.consume({ stream: 'MD', durable: 'd', filterSubject: 'x' }, h);
    return handlers[handlers.length - 1] as BatchHandler;
  };
  return { ports, observed, consume, advance: (ms: number) => (t += ms) };
}

const batch: readonly Delivery[] = [{ subject: 'x', data: new Uint8Array(), streamSeq: 1, redelivered: false }];

describe('stage timing of the asset actors (cli/stage-timing.ts)', () => {
  it('splits a handler run at the probe mark into decode and features, then times the commit as store', async () => {
    const { ports, observed, consume, advance } = rig();
    let commit: () => void = () => {};
    const committed = new Promise<void>((r) => (commit = r));
    const run = consume(() => {
      advance(3); // decoding
      ports.probe.decoded();
      advance(5); // features
      return { committed };
    });
    void run(batch);
    expect(observed).toEqual([
      ['decode', 3],
      ['features', 5],
    ]);
    advance(7);
    commit();
    await committed;
    await Promise.resolve();
    expect(observed).toEqual([
      ['decode', 3],
      ['features', 5],
      ['store', 7],
    ]);
  });

  it('times a handler that marks nothing as features alone, and a mark from an earlier run is not reused', () => {
    const { ports, observed, consume, advance } = rig();
    const marking = consume(() => {
      advance(1);
      ports.probe.decoded();
      advance(2);
    });
    const silent = consume(() => {
      advance(4);
    });
    void marking(batch);
    void silent(batch);
    expect(observed).toEqual([
      ['decode', 1],
      ['features', 2],
      ['features', 4],
    ]);
  });

  it('keeps an outer run’s mark when a handler runs inside it (a synchronous delivery)', () => {
    const { ports, observed, consume, advance } = rig();
    const inner = consume(() => {
      advance(10);
      ports.probe.decoded();
      advance(20);
    });
    const outer = consume(() => {
      advance(1);
      ports.probe.decoded();
      void inner(batch);
      advance(2);
    });
    void outer(batch);
    expect(observed).toEqual([
      ['decode', 10],
      ['features', 20],
      ['decode', 1],
      ['features', 32],
    ]);
  });
});
