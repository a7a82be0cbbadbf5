import { describe, expect, it } from 'vitest';
import { createDecisionPath } from '../../actors/decision-path.js';
import type { DecisionStats } from '../../actors/decision-path.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import type { StrategyCore } from '../../models/inference/strategy-core.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import type { RiskBookSnapshot } from '../../models/risk/risk-book.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { PublishAck } from '../../streams/bus.js';
import { decodeText } from '../../streams/codec.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { subjectsFor } from '../../streams/subjects.js';

const VENUE = 'binance';
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const CURRENCY = { accountCurrency: 'USDT', conversions: { BTC: 'BTC/USDT' } };
const ALLOWLIST = ['BTC/USDT', 'ETH/BTC', 'SOL/USDT'];

type Step = Readonly<{ symbol: string; close: number; fraction?: number }>;

const bar = (i: number, s: Step): Bar => ({ type: 'md.bar', v: 1, id: `b:${i}`, venue: VENUE, symbol: s.symbol, tf: '1h', open: s.close, high: s.close, low: s.close, close: s.close, volume: 1, ts: T0 });
const vector = (i: number, s: Step): FeatureVector => ({ id: `f:${i}`, venue: VENUE, symbol: s.symbol, ts: T0 + HOUR, values: {} }) as unknown as FeatureVector;
/** What a strategy core gives under `sizing: equity`: the target as a signed fraction of the equity. */
const prediction = (i: number, s: Step, fraction: number): Prediction =>
  ({ type: 'pred', v: 1, id: `p:${i}`, ts: T0 + HOUR, strategy: 's1', venue: VENUE, symbol: s.symbol, source: `f:${i}`, horizonMs: HOUR, confidence: 0.9, price: s.close, intent: { target: fraction } }) as unknown as Prediction;

/**
 * One bar per step, all at the same event time, in the order given; a step with a `fraction` is
 * scored (a prediction wanting that fraction of the equity), the others only mark the book.
 */
async function decide(steps: readonly Step[], held: RiskBookSnapshot['positions'] = []): Promise<{ out: Prediction[]; stats: Readonly<DecisionStats> }> {
  const subjects = subjectsFor('sxt');
  const out: Prediction[] = [];
  let seq = 0;
  const bus = {
    publish: (subject: string, data: Uint8Array): Promise<PublishAck> => {
      if (subject.startsWith(`${subjects.prefix}.pred.`)) out.push(JSON.parse(decodeText(data)) as Prediction);
      return Promise.resolve({ stream: 'SIGNALS', seq: ++seq, duplicate: false });
    },
    emit: (): void => {},
  };
  const scored = steps.flatMap((s, i) => (s.fraction === undefined ? [] : [prediction(i, s, s.fraction)]));
  const strategy = { strategy: 's1', onFeatures: () => Promise.resolve(scored) } as unknown as StrategyCore;
  const snap = createRiskCore({ account: 'acc', currency: CURRENCY, limits: { allowlist: ALLOWLIST } }).bookSnapshot();
  const risk = createRiskCore({ account: 'acc', currency: CURRENCY, limits: { allowlist: ALLOWLIST }, book: { ...snap, book: { ...snap.book, positions: held } } });
  const path = createDecisionPath(
    { bus, subjects, log: silentLogger, clock: createSimulatedClock(T0) },
    { strategy, timeframe: '1h', execution: createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 }), risk, venue: undefined, equityCapital: 20_000 },
  );
  const events: AssetEvent[] = steps.map((s, i) => ({ asset: `${VENUE}:${s.symbol}`, streamSeq: i + 1, md: bar(i, s), vector: s.fraction !== undefined ? vector(i, s) : undefined }));
  await (await path.onRelease(events)).settled;
  return { out, stats: path.stats() };
}

describe('strategy.sizing: equity in an account whose currency is not the symbol quote currency', () => {
  it('ETH/BTC in a USDT account: half of 20,000 USDT at 0.05 BTC and 40,000 USDT per BTC is 5 ETH, not 200,000', async () => {
    const { out, stats } = await decide([
      { symbol: 'BTC/USDT', close: 40_000 },
      { symbol: 'ETH/BTC', close: 0.05, fraction: 0.5 },
    ]);
    expect(out.map((p) => p.symbol)).toEqual(['ETH/BTC']);
    expect(out[0]?.intent?.target).toBeCloseTo(5, 12);
    expect(stats.intentsUnsized).toBe(0);
  });

  it('a symbol in the account currency is sized as before (BTC/USDT: 10,000 USDT at 40,000 is 0.25 BTC)', async () => {
    const { out } = await decide([{ symbol: 'BTC/USDT', close: 40_000, fraction: 0.5 }]);
    expect(out[0]?.intent).toEqual({ target: 0.25 });
  });

  it('no BTC/USDT mid yet: the ETH/BTC intent is published without a target and counted, not sized in the wrong unit', async () => {
    const { out, stats } = await decide([
      { symbol: 'ETH/BTC', close: 0.05, fraction: 0.5 },
      { symbol: 'BTC/USDT', close: 40_000 },
    ]);
    expect(out.map((p) => [p.symbol, p.intent])).toEqual([['ETH/BTC', null]]);
    expect(stats.intentsUnsized).toBe(1);
    expect(stats.withIntent).toBe(0);
  });

  it('a position the equity cannot value yet (ETH/BTC held, no BTC/USDT mid) holds a SOL/USDT intent too; a flat one passes', async () => {
    const eth = { venue: VENUE, symbol: 'ETH/BTC', qty: 10, avgCost: 0.05, realised: 0, lastPrice: 0.05 };
    const { out, stats } = await decide(
      [
        { symbol: 'SOL/USDT', close: 100, fraction: 0.5 },
        { symbol: 'SOL/USDT', close: 100, fraction: 0 },
      ],
      [eth],
    );
    expect(out.map((p) => p.intent)).toEqual([null, { target: 0 }]);
    expect(stats.intentsUnsized).toBe(1);
  });
});
