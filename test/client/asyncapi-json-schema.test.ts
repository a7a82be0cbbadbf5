import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { ASYNCAPI_PATH } from '../../client/write-asyncapi.js';
import { runBacktest } from '../../cli/commands/backtest.js';
import { ControlReplySchema, ControlRequestSchema } from '../../gateways/control/control-messages.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { barId, BarSchema } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import { EngineIdentitySchema, EnginePresenceRequestSchema } from '../../streams/messages/engine-presence.js';
import { expiryId, ExpirySchema } from '../../streams/messages/expiry.js';
import { FeatureVectorSchema, featureVectorId } from '../../streams/messages/feature-vector.js';
import { feedStatusId, FeedStatusSchema } from '../../streams/messages/feed-status.js';
import { FillSchema } from '../../streams/messages/fill.js';
import { labelId, LabelSchema } from '../../streams/messages/label.js';
import { ModelEventSchema } from '../../streams/messages/model-event.js';
import { OrderSchema } from '../../streams/messages/order.js';
import { outcomeId, OutcomeSchema } from '../../streams/messages/outcome.js';
import { PredictionSchema } from '../../streams/messages/prediction.js';
import { quoteId, QuoteSchema } from '../../streams/messages/quote.js';
import { rejectId, RejectSchema } from '../../streams/messages/reject.js';
import { RiskStateSchema } from '../../streams/messages/risk-state.js';
import { SuggestionSchema } from '../../streams/messages/suggestion.js';
import { tradeId, TradeSchema } from '../../streams/messages/trade.js';
import { encode } from '../../streams/codec.js';
import { decodeMarketData } from '../../streams/validation/decode-market-data.js';
import { toDlqEntry } from '../../streams/validation/dlq.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';

// A consumer that validates against docs/asyncapi.yaml alone, with a real JSON Schema validator
// (draft-07, the AsyncAPI schema dialect), must refuse what the engine refuses at the edge and
// accept what the engine sends. The sign rules were `.refine`s, which JSON Schema cannot carry: a
// fill with `qty: -1` passed the published schema.

type Node = Record<string, unknown>;
const doc = parse(readFileSync(ASYNCAPI_PATH, 'utf8')) as Node;
const schemas = (doc['components'] as Node)['schemas'] as Record<string, Node>;
const channels = doc['channels'] as Record<string, Node>;
const ajv = new Ajv({ strict: true, allErrors: true });
const validators = new Map<string, ValidateFunction>(Object.entries(schemas).map(([name, s]) => [name, ajv.compile(s)]));
const validator = (name: string): ValidateFunction => {
  const v = validators.get(name);
  if (v === undefined) throw new Error(`no schema ${name} in ${ASYNCAPI_PATH}`);
  return v;
};
const refName = (n: unknown): string => String((n as Node)['$ref']).split('/').at(-1) ?? '';

/** The published schema's verdict on a JSON message, with its errors. */
const published = (name: string, msg: unknown): { ok: boolean; errors: string } => {
  const v = validator(name);
  const ok = v(JSON.parse(JSON.stringify(msg)) as unknown);
  return { ok, errors: ok ? '' : ajv.errorsText(v.errors) };
};

const S = 'BTC/USDT';
const TS = Date.UTC(2023, 0, 2);
const subjects = subjectsFor('sx');

describe('docs/asyncapi.yaml under a JSON Schema validator (ajv, draft-07)', () => {
  /** Real engine messages: a short backtest's signals (predictions, suggestions, orders, fills) and bars from the data. */
  const engine = new Map<string, unknown[]>();
  const dir = mkdtempSync(join(tmpdir(), 'sx-asyncapi-ajv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(async () => {
    const add = (name: string, m: unknown): void => void engine.set(name, [...(engine.get(name) ?? []), m]);
    const byType: Readonly<Record<string, string>> = { pred: 'Prediction', 'exec.suggest': 'Suggestion', 'exec.order': 'Order', 'exec.reject': 'Reject', 'exec.fill': 'Fill', 'exec.expired': 'Expiry' };
    let signals: readonly string[] = [];
    await runBacktest({ data: testDataDir(), symbols: [S], timeframe: '1h', from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 0, 15), report: dir, capital: 10_000, onSignals: (m) => (signals = m) });
    for (const line of signals) {
      const m = JSON.parse(line.slice(line.indexOf(' ') + 1)) as { type: string };
      add(byType[m.type] ?? `unexpected ${m.type}`, m);
    }
    const file = join(testDataDir(), 'ohlcv/binance_spot_1h/BTC_USDT_1h.csv');
    for await (const b of readBars(file, { venue: 'binance', symbol: S, tf: '1h', from: TS, limit: 50 })) add('Bar', b);
    // A refused trade, dead-lettered as the asset actor does.
    const bad = encode({ type: 'md.trade', v: 1, id: 't:x', venue: 'binance', symbol: S, price: 0, qty: 1, side: 'buy', ts: TS });
    const refusal = decodeMarketData(subjects.trade('binance', S), bad, { maxPayloadBytes: 4096, subjects, isKnown: () => true });
    if (refusal.ok) throw new Error('a zero price was accepted');
    add('DlqEntry', toDlqEntry({ source: 'asset', subject: subjects.trade('binance', S), data: bad, refusal, ts: TS }));
  }, 120_000);

  it('accepts the real messages of a short backtest run and of the data (predictions, suggestions, orders, fills, bars, dead letters)', () => {
    expect([...engine.keys()].sort()).toEqual(['Bar', 'DlqEntry', 'Fill', 'Order', 'Prediction', 'Suggestion']);
    for (const [name, msgs] of engine) {
      for (const m of msgs) expect(published(name, m), `${name} ${JSON.stringify(m)}`).toEqual({ ok: true, errors: '' });
    }
  });

  // The message types the backtest does not send, as the engine builds them (its id helpers), each one
  // a message the engine's own schema accepts.
  const bar: Bar = { type: 'md.bar', v: 1, id: barId('binance', S, '1h', TS), venue: 'binance', symbol: S, tf: '1h', open: 100, high: 101, low: 99, close: 100.5, volume: 0, ts: TS };
  const samples: readonly (readonly [string, z.ZodType, unknown])[] = [
    ['Trade', TradeSchema, { type: 'md.trade', v: 1, id: tradeId('binance', S, 42), venue: 'binance', symbol: S, price: 42_000.5, qty: 0.001, side: 'unknown', ts: TS, recvTs: TS + 3 }],
    ['Quote', QuoteSchema, { type: 'md.quote', v: 1, id: quoteId('binance', S, TS), venue: 'binance', symbol: S, bid: 41_999, bidSize: 0, ask: 42_001, askSize: 1.5, ts: TS }],
    ['Bar', BarSchema, bar],
    ['FeatureVector', FeatureVectorSchema, { type: 'feat.vector', v: 1, id: featureVectorId(bar.id), venue: 'binance', symbol: S, ts: TS, source: bar.id, values: { close: 100.5, rsi_14: null, ret_1: -0.0012 } }],
    ['Reject', RejectSchema, { type: 'exec.reject', v: 1, id: rejectId('s:p:1:0'), ts: TS, strategy: 'dirmlp', venue: 'binance', symbol: S, suggestionId: 's:p:1:0', reasons: ['MAX_ORDER_QTY', 'PRICE_COLLAR'], detail: 'qty 3 > 1' }],
    ['Expiry', ExpirySchema, { type: 'exec.expired', v: 1, id: expiryId('o:s:p:1:0'), ts: TS, orderId: 'o:s:p:1:0', strategy: 'dirmlp', venue: 'binance', symbol: S, filledQty: 0, remainingQty: 0.5, reason: 'ttl' }],
    [
      'Outcome',
      OutcomeSchema,
      {
        type: 'outcome', v: 1, id: outcomeId('o:s:p:1:0'), ts: TS, strategy: 'dirmlp', venue: 'binance', symbol: S, subject: { kind: 'order', id: 'o:s:p:1:0' }, decisionTs: TS - 3_600_000,
        horizonBars: 4, bars: 0, direction: -1, entryPrice: 100, exitPrice: 99, forwardReturn: -0.01, netReturnBps: 90, costBps: 0, mfe: 0.01, mae: -0.002, atr: 1.2,
        barrier: { label: 1, hit: 'take_profit', hitTs: TS, takeProfit: 0.01, stopLoss: -0.01 }, outcomeClass: 'good', model: { name: 'direction-mlp', version: 1 },
        shortfall: { decisionPrice: 100, orderQty: 1, filledQty: 0, avgFillPrice: null, fees: -0.01, executionBps: null, opportunityBps: 3, totalBps: 3 },
      },
    ],
    [
      'Label',
      LabelSchema,
      {
        type: 'label', v: 1, id: labelId('p:dirmlp:f:b'), ts: TS, strategy: 'dirmlp', venue: 'binance', symbol: S, subject: { kind: 'prediction', id: 'p:dirmlp:f:b' }, decisionTs: TS - 3_600_000,
        label: 0, barrier: 'vertical', hitTs: TS, outcomeClass: 'neutral', forwardReturn: 0, netReturnBps: -2, featureId: 'f:b', model: null, featureSpecHash: null,
      },
    ],
    ['ModelEvent', ModelEventSchema, { type: 'model.event', v: 1, id: 'me:direction-mlp:promoted:2', ts: TS, name: 'direction-mlp', event: 'promoted', version: 2, alias: 'production', previousVersion: 1, actor: 'ctl', reason: '' }],
    ['FeedStatus', FeedStatusSchema, { type: 'md.status', v: 1, id: feedStatusId({ venue: 'binance', symbol: S, stream: 'trades', state: 'retrying', ts: TS }), ts: TS, venue: 'binance', symbol: S, stream: 'trades', state: 'retrying', code: 'NETWORK', reason: 'ECONNRESET', retryAt: TS + 1000, restarts: 0, publisher: 'gateway@host' }],
    ['RiskState', RiskStateSchema, { type: 'risk.state', v: 1, id: 'rs:1', ts: TS, account: 'paper', state: 'HALTED', previous: 'ACTIVE', reason: 'operator', scopedHalts: [{ scope: 'symbol', value: S, reason: 'maintenance' }], stored: false }],
    ['EnginePresenceRequest', EnginePresenceRequestSchema, {}],
    ['EngineIdentity', EngineIdentitySchema, { pid: 4242, host: 'desk-1', startedAt: TS }],
    ['CtlReply', ControlReplySchema, { v: 1, id: 'c1', ok: false, error: { code: 'REFUSED', message: 'maxOrderQty: must be > 0' } }],
  ];
  const ctlArgs: Readonly<Record<string, unknown>> = {
    status: {}, halt: { reason: 'news' }, resume: {}, reduce: { reason: 'risk off', flatten: true }, 'limits.get': {}, 'limits.set': { patch: { maxOrderQty: 2 } }, 'model.list': {},
    'model.deploy': { name: 'direction-mlp', version: 3 }, 'model.rollback': { name: 'direction-mlp', to: 1 }, 'model.remove-alias': { name: 'direction-mlp', alias: 'canary' },
    'retrain.trigger': { reason: 'drift' }, 'retrain.pause': { reason: 'holiday' }, 'retrain.resume': {}, 'retrain.status': {},
  };
  /** A control verb's request schema, found by its channel's address. */
  const ctlSchema = (verb: string): string => {
    const ch = Object.values(channels).find((c) => c['address'] === `sx.ctl.${verb}`);
    if (ch === undefined) throw new Error(`no channel sx.ctl.${verb}`);
    const msg = refName(Object.values(ch['messages'] as Node)[0]);
    return refName(((doc['components'] as Node)['messages'] as Record<string, Node>)[msg]?.['payload']);
  };

  it('accepts a message of every other type, as the engine sends it, and every control request', () => {
    for (const [name, schema, msg] of samples) {
      expect(schema.safeParse(msg).error?.issues, `${name}: the engine's schema`).toBeUndefined();
      expect(published(name, msg), name).toEqual({ ok: true, errors: '' });
    }
    for (const [verb, args] of Object.entries(ctlArgs)) {
      const req = { v: 1, id: `c:${verb}`, operator: 'desk', args };
      expect(ControlRequestSchema.safeParse(req).success, verb).toBe(true);
      expect(published(ctlSchema(verb), req), verb).toEqual({ ok: true, errors: '' });
    }
    // Every published schema was checked against at least one message.
    const covered = new Set([...engine.keys(), ...samples.map(([n]) => n), ...Object.keys(ctlArgs).map(ctlSchema)]);
    expect(Object.keys(schemas).filter((n) => !covered.has(n))).toEqual([]);
  });

  it('refuses what the engine refuses: a negative qty, a zero price, a non-integer count or time, a probability over 1, a blank operator', () => {
    const fill = engine.get('Fill')?.[0] as Node;
    const order = engine.get('Order')?.[0] as Node;
    const pred = engine.get('Prediction')?.[0] as Node;
    const sugg = engine.get('Suggestion')?.[0] as Node;
    const cases: readonly (readonly [string, z.ZodType, unknown, RegExp])[] = [
      ['Fill', FillSchema, { ...fill, qty: -1 }, /qty must be > 0/],
      ['Fill', FillSchema, { ...fill, price: 0 }, /price must be > 0/],
      ['Order', OrderSchema, { ...order, qty: -1 }, /qty must be > 0/],
      ['Order', OrderSchema, { ...order, ts: (order['ts'] as number) + 0.5 }, /ts must be integer/],
      ['Suggestion', SuggestionSchema, { ...sugg, ttlMs: 1.5 }, /ttlMs must be integer/],
      ['Suggestion', SuggestionSchema, { ...sugg, refPrice: 0 }, /refPrice must be > 0/],
      ['Prediction', PredictionSchema, { ...pred, price: 0 }, /price must be > 0/],
      ['Prediction', PredictionSchema, { ...pred, probs: { down: 0, flat: 0, up: 1.5 } }, /up must be <= 1/],
      ['Trade', TradeSchema, { ...samples[0]?.[2] as Node, price: 0 }, /price must be > 0/],
      ['Quote', QuoteSchema, { ...samples[1]?.[2] as Node, bidSize: -0.5 }, /bidSize must be >= 0/],
      ['Bar', BarSchema, { ...bar, volume: -1 }, /volume must be >= 0/],
      ['Expiry', ExpirySchema, { ...samples[5]?.[2] as Node, remainingQty: 0 }, /remainingQty must be > 0/],
    ];
    for (const [name, schema, msg, why] of cases) {
      expect(schema.safeParse(msg).success, `${name} ${JSON.stringify(msg)}: the engine refuses it`).toBe(false);
      const r = published(name, msg);
      expect(r.ok, `${name} ${JSON.stringify(msg)}: the published schema refuses it`).toBe(false);
      expect(r.errors).toMatch(why);
    }
    const blank = { v: 1, id: 'c:1', operator: '   ', args: { reason: 'news' } };
    expect(ControlRequestSchema.safeParse(blank).success).toBe(false);
    expect(published(ctlSchema('halt'), blank).errors).toMatch(/operator must match pattern/);
    expect(published(ctlSchema('halt'), { ...blank, operator: 'desk', args: { reason: ' \n' } }).errors).toMatch(/reason must match pattern/);
  });
});
