/**
 * What encoding an output costs the engine's thread: `streams/codec.ts`'s `encode` (JSON, then
 * UTF-8 bytes through `Buffer.from`, which takes small results from Node's shared pool) against
 * the same JSON through `TextEncoder.encode` (an ArrayBuffer per call; what the codec used before),
 * alternating rounds in one process, on messages shaped like the decision path's: a prediction
 * with three attributions, an order, and the `Nats-Msg-Id` header line of a publish.
 *
 *   npx tsx bench/codec.bench.ts [--n 200000] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { encode, utf8 } from '../streams/codec.js';
import type { Order } from '../streams/messages/order.js';
import type { Prediction } from '../streams/messages/prediction.js';

const { values: args } = parseArgs({ options: { n: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } } });
const N = Number(args.n);
const ROUNDS = Number(args.rounds);
for (const [k, v] of [['n', N], ['rounds', ROUNDS]] as const) if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive integer`);

const textEncoder = new TextEncoder();
const baseline = (msg: unknown): Uint8Array => textEncoder.encode(JSON.stringify(msg));

const ts = 1_713_560_400_000;
const prediction: Prediction = {
  type: 'pred',
  v: 1,
  id: `p:dirmlp:f:b:binance:BTC/USDT:1h:${ts}`,
  ts,
  strategy: 'dirmlp',
  venue: 'binance',
  symbol: 'BTC/USDT',
  source: `f:b:binance:BTC/USDT:1h:${ts}`,
  model: { name: 'direction-mlp', version: 3 },
  featureSpecHash: '9f2c4e1a7b3d5f60',
  horizonMs: 14_400_000,
  probs: { down: 0.2871934512, flat: 0.4112871023, up: 0.3015194465 },
  expectedReturn: 0.000412873,
  interval80: [-0.0131872, 0.0140129],
  interval95: [-0.0217731, 0.0225988],
  attributions: [
    { feature: 'ret_1', contribution: 0.0412391 },
    { feature: 'rsi_14', contribution: -0.0281113 },
    { feature: 'atr_14', contribution: 0.0117653 },
  ],
  confidence: 0.4112871023,
  price: 64_213.57,
  intent: null,
};
const order: Order = {
  type: 'exec.order',
  v: 1,
  id: `o:s:p:dirmlp:f:b:binance:BTC/USDT:1h:${ts}:0`,
  ts,
  strategy: 'dirmlp',
  venue: 'binance',
  symbol: 'BTC/USDT',
  suggestionId: `s:p:dirmlp:f:b:binance:BTC/USDT:1h:${ts}:0`,
  side: 'buy',
  qty: 0.0123,
  orderType: 'limit',
  limitPrice: 64_207.15,
  expiresAt: ts + 60_000,
  reducing: false,
};
const header = `NATS/1.0\r\nNats-Msg-Id: ${prediction.id}\r\n\r\n`;

/** ns per call over `N` calls; the byte count is summed so the work cannot be dropped. */
function time(f: () => Uint8Array): number {
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) bytes += f().length;
  const ns = ((performance.now() - t0) * 1e6) / N;
  if (bytes === 0) throw new Error('nothing encoded');
  return ns;
}

const cases: readonly (readonly [string, () => Uint8Array, () => Uint8Array])[] = [
  [`prediction (${encode(prediction).length} B)`, () => baseline(prediction), () => encode(prediction)],
  [`order (${encode(order).length} B)`, () => baseline(order), () => encode(order)],
  [`Nats-Msg-Id header (${utf8(header).length} B)`, () => textEncoder.encode(header), () => utf8(header)],
];
for (const [, a, b] of cases) if (Buffer.compare(Buffer.from(a()), Buffer.from(b())) !== 0) throw new Error('the two encodings differ');
for (const [, a, b] of cases) {
  // warm-up
  time(a);
  time(b);
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
console.log(`median of ${ROUNDS} alternating rounds × ${N} calls, ns per call:`);
for (const [name, a, b] of cases) {
  const base: number[] = [];
  const ours: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    base.push(time(a));
    ours.push(time(b));
  }
  const x = median(base);
  const y = median(ours);
  console.log(`  ${name.padEnd(32)} TextEncoder ${x.toFixed(0).padStart(6)}   codec (Buffer.from) ${y.toFixed(0).padStart(6)}   → ${(y / x).toFixed(2)}× the baseline`);
}
