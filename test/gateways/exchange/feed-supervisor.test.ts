import { describe, expect, it } from 'vitest';
import type { Sleep } from '../../../gateways/market-data/backoff.js';
import { GatewayError, GatewayErrorCode } from '../../../gateways/market-data/errors.js';
import type { FeedLoopEnd } from '../../../gateways/market-data/feed-loop.js';
import { runFeedLoop } from '../../../gateways/market-data/feed-loop.js';
import { superviseFeed } from '../../../gateways/market-data/feed-supervisor.js';
import type { FeedSink, GatewayStatus } from '../../../gateways/market-data/market-data-source.js';
import { silentLogger } from '../../../state/logger.js';

const FEED = 'binance BTC/USDT trade';
const POLICY = { minMs: 1_000, maxMs: 8_000 };

/** A run of the feed: how long it stayed connected before it failed (undefined: it never got through). */
type Run = Readonly<{ connectedFor?: number }>;

/**
 * Runs the supervisor over scripted runs on a fake clock (the sleep advances it) and returns the
 * restart delays it chose, in order; it stops once every run was used.
 */
async function delaysOver(runs: readonly Run[]): Promise<number[]> {
  let clock = 1_000_000;
  const ac = new AbortController();
  const statuses: GatewayStatus[] = [];
  const sink: FeedSink = {
    highWater: () => Promise.resolve(undefined),
    offer: () => Promise.resolve({ type: 'skipped' }),
    refuse: () => Promise.resolve(),
    status: (s) => void statuses.push(s),
  };
  const sleep: Sleep = (ms) => {
    clock += ms;
    return Promise.resolve();
  };
  let i = 0;
  const run = (): Promise<FeedLoopEnd> => {
    const r = runs[i++];
    if (r === undefined) {
      ac.abort();
      return Promise.resolve({ type: 'stopped' });
    }
    const failed = { type: 'failed', code: GatewayErrorCode.EXCHANGE, error: 'HTTP 409 Conflict' } as const;
    if (r.connectedFor === undefined) return Promise.resolve(failed);
    const connectedAt = clock;
    clock += r.connectedFor;
    return Promise.resolve({ ...failed, connectedAt });
  };
  await superviseFeed({ feed: FEED, sink, signal: ac.signal, sleep, log: silentLogger, now: () => clock, restart: POLICY, classify: (e) => new GatewayError(GatewayErrorCode.INTERNAL, String(e)), run });
  return statuses.flatMap((s) => (s.type === 'restarting' ? [s.delayMs] : []));
}

describe('feed supervisor: the restart backoff (marketData.restart)', () => {
  it('doubles the delay with each failure in a row, up to maxMs', async () => {
    expect(await delaysOver([{}, {}, {}, {}, {}])).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
  });

  it('starts the count over after a run that stayed connected maxMs: the next failure waits minMs again, not the doubled delay', async () => {
    expect(await delaysOver([{}, {}, {}, { connectedFor: 8_000 }, {}])).toEqual([1_000, 2_000, 4_000, 1_000, 2_000]);
    // Still at the cap: one healthy run is enough.
    expect(await delaysOver([{}, {}, {}, {}, {}, { connectedFor: 60_000 }])).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 1_000]);
  });

  it('keeps counting after a run that connected but failed sooner than maxMs (a feed that flaps is not restarted every minMs)', async () => {
    expect(await delaysOver([{}, {}, { connectedFor: 7_999 }, { connectedFor: 0 }])).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('through the feed loop: a run whose steps got through for maxMs of the feed clock before the venue refused it (409) is restarted after minMs', async () => {
    let clock = 0;
    const ac = new AbortController();
    const delays: number[] = [];
    const sink: FeedSink = {
      highWater: () => Promise.resolve(undefined),
      offer: () => Promise.resolve({ type: 'skipped' }),
      refuse: () => Promise.resolve(),
      status: (s) => void (s.type === 'restarting' ? delays.push(s.delayMs) : undefined),
    };
    const sleep: Sleep = (ms) => {
      clock += ms;
      return Promise.resolve();
    };
    // Runs 1-3 fail at their first step; run 4 delivers a step a second for 8 s, then fails; run 5 fails at once.
    let runNo = 0;
    const refused = (): Promise<never> => Promise.reject(new GatewayError(GatewayErrorCode.EXCHANGE, 'HTTP 409 Conflict'));
    const common = { feed: FEED, mode: 'poll', sink, signal: ac.signal, sleep, backoff: { minMs: 10, maxMs: 10 }, log: silentLogger, now: () => clock, classify: (e: unknown) => (e instanceof GatewayError ? e : new GatewayError(GatewayErrorCode.INTERNAL, String(e))) } as const;
    const run = (): Promise<FeedLoopEnd> => {
      runNo++;
      if (runNo > 5) {
        ac.abort();
        return Promise.resolve({ type: 'stopped' });
      }
      let steps = 0;
      return runFeedLoop({
        ...common,
        step: () => {
          if (runNo !== 4 || steps++ > 8) return refused();
          clock += 1_000;
          return Promise.resolve();
        },
      });
    };
    await superviseFeed({ ...common, restart: POLICY, run });
    expect(delays).toEqual([1_000, 2_000, 4_000, 1_000, 2_000]);
  });
});
