import { describe, expect, it } from 'vitest';
import { createDecisionPath } from '../../actors/decision-path.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import { sizedByEquity } from '../../models/inference/equity-sizing.js';
import type { StrategyCore } from '../../models/inference/strategy-core.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { PublishAck } from '../../streams/bus.js';
import { decodeText } from '../../streams/codec.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { subjectsFor } from '../../streams/subjects.js';

const VENUE = 'binance';
const SYMBOL = 'BTC/USDT';
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

const bar = (i: number, close: number): Bar => ({ type: 'md.bar', v: 1, id: `b:${i}`, venue: VENUE, symbol: SYMBOL, tf: '1h', open: close, high: close, low: close, close, volume: 1, ts: T0 + i * HOUR });
const vector = (i: number): FeatureVector => ({ id: `f:${i}`, venue: VENUE, symbol: SYMBOL, ts: T0 + (i + 1) * HOUR, values: {} }) as unknown as FeatureVector;
/** What a strategy core gives under `sizing: equity`: the target as a signed fraction of the equity. */
const prediction = (i: number, close: number, fraction: number): Prediction =>
  ({ type: 'pred', v: 1, id: `p:${i}`, ts: T0 + (i + 1) * HOUR, strategy: 's1', venue: VENUE, symbol: SYMBOL, source: `f:${i}`, horizonMs: HOUR, confidence: 0.9, price: close, intent: { target: fraction } }) as unknown as Prediction;

/**
 * A hand-built price path: the account holds 5 BTC bought at 100 with 1,000 of capital. At 100 its
 * equity is 1,000; at 300 it is 2,000. A strategy wanting half of the equity (0.5) targets 500 of
 * BTC (5 BTC) first, then 1,000 (3.33 BTC): the target's value doubles with the equity, though both
 * predictions were scored in one call, before either event was applied.
 */
async function decide(equityCapital: number | undefined, closes: readonly number[], fraction = 0.5, qty = 5): Promise<Prediction[]> {
  const subjects = subjectsFor('sxt');
  // Outputs as the NATS bus carries them: bytes (JSON), so a −0 would show as it travels.
  const published: Prediction[] = [];
  let seq = 0;
  const bus = {
    publish: (subject: string, data: Uint8Array): Promise<PublishAck> => {
      if (subject.startsWith(`${subjects.prefix}.pred.`)) published.push(JSON.parse(decodeText(data)) as Prediction);
      return Promise.resolve({ stream: 'SIGNALS', seq: ++seq, duplicate: false });
    },
    emit: (): void => {},
  };
  const scored = closes.map((c, i) => prediction(i, c, fraction));
  const strategy = { strategy: 's1', onFeatures: () => Promise.resolve(scored) } as unknown as StrategyCore;
  const risk = createRiskCore({ account: 'acc' });
  const snap = risk.bookSnapshot();
  const held = createRiskCore({
    account: 'acc',
    book: { ...snap, book: { ...snap.book, positions: [{ venue: VENUE, symbol: SYMBOL, qty, avgCost: 100, realised: 0, lastPrice: 100 }] } },
  });
  const path = createDecisionPath(
    { bus, subjects, log: silentLogger, clock: createSimulatedClock(T0) },
    {
      strategy,
      timeframe: '1h',
      execution: createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 }),
      risk: held,
      venue: undefined,
      ...(equityCapital !== undefined ? { equityCapital } : {}),
    },
  );
  const events: AssetEvent[] = closes.map((c, i) => ({ asset: `${VENUE}:${SYMBOL}`, streamSeq: i + 1, md: bar(i, c), vector: vector(i) }));
  const d = await path.onRelease(events);
  await d.settled;
  return published;
}

describe('strategy.sizing: equity sizes each target at its own event, on the capital plus the book', () => {
  it('a target worth half the equity: 500 of BTC at equity 1,000, 1,000 at equity 2,000', async () => {
    const out = await decide(1_000, [100, 300]);
    expect(out.map((p) => p.intent?.target)).toEqual([5, 1_000 / 300]);
    const notional = out.map((p) => (p.intent?.target ?? 0) * p.price);
    expect(notional[0]).toBeCloseTo(500, 9);
    expect(notional[1]).toBeCloseTo(1_000, 9);
  });

  it('a short is sized the same, and a ruined account (equity at or below 0) targets flat, not −0', async () => {
    const out = await decide(1_000, [100, 300], -0.25);
    expect(out.map((p) => p.intent?.target)).toEqual([-2.5, -500 / 300]);
    // 20 BTC bought at 100 on 1,000: at 40 the book lost 1,200, and the account has nothing left.
    const ruined = await decide(1_000, [40], -0.25, 20);
    expect(Object.is(ruined[0]?.intent?.target, 0)).toBe(true);
  });

  it("without equityCapital the core's intents are published as they are (quote and base sizing)", async () => {
    const out = await decide(undefined, [100, 300]);
    expect(out.map((p) => p.intent?.target)).toEqual([0.5, 0.5]);
  });

  it('sizedByEquity leaves no intent and a flat one as they are, and never changes the one it got', () => {
    const p = prediction(0, 200, 0.5);
    const frozen = Object.freeze({ ...p, intent: Object.freeze({ target: 0.5 }) });
    const sized = sizedByEquity(frozen, 4_000);
    expect(sized.intent).toEqual({ target: 10 });
    expect(frozen.intent).toEqual({ target: 0.5 });
    const none = { ...p, intent: null };
    expect(sizedByEquity(none, 4_000)).toBe(none);
    const flat = { ...p, intent: { target: 0 } };
    expect(sizedByEquity(flat, 4_000)).toBe(flat);
  });
});
