import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DecisionPathFailedError } from '../../actors/event-sequencer.js';
import type { ActorSummary } from '../../cli/engine-status-feed.js';
import { startEngineStatusFeed } from '../../cli/engine-status-feed.js';
import { silentLogger } from '../../state/logger.js';
import { createPgRiskStore } from '../../state/pg-risk-store.js';
import { encode } from '../../streams/codec.js';
import { RiskStateSchema } from '../../streams/messages/risk-state.js';
import type { RiskState } from '../../streams/messages/risk-state.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';
import { approvedBtcBuys, liveFill, natsWithStreams, startLiveEngine } from '../support/live-engine.js';
import { dropSchema, queryRows } from '../support/pg.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';

// Real PostgreSQL (a schema of this file's own) refusing the decision path's risk write, real NATS
// JetStream for the fill and `sx.risk.state` as a subscriber reads it. Fails (never skips) when
// either is not reachable.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const dec = new TextDecoder();
const enc = new TextEncoder();
const FROM = Date.UTC(2024, 0, 1);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The decision path announced a daily-loss halt from a live fill at once, with no `stored` flag
 * (read by consumers as stored), and when the risk write after it failed it stopped deciding
 * without a word: `sx.risk.state` kept saying a plain HALTED, `sextant ctl status` said nothing
 * of the stop, and the dashboard's decision actor stayed `live`.
 */
describe('a breach the decision path decides, whose risk write PostgreSQL refuses', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  /** An engine whose risk store (PostgreSQL) holds the order a live fill names; the fill's fee alone is past the daily-loss limit. */
  const started = async () => {
    const cfg = isolatedConfig(['BTC/USDT'], (c) => ({
      ...c,
      paperVenue: { ...c.paperVenue, enabled: false },
      consumer: { ...c.consumer, ackWaitMs: 1_000 },
      // The fill's fee alone is a loss past this limit: the fill halts the account.
      risk: { ...c.risk, limits: { ...c.risk.limits, maxDailyLoss: 0.1, onBreach: 'halt' } },
    }));
    const subjects = subjectsFor(cfg.prefix);
    const schema = `dp_unstored_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const bus = await natsWithStreams(cfg, 'risk-write-failure-announced-test', cleanup);
    const riskStore = await createPgRiskStore({ url, schema });
    cleanup.push(async () => {
      await riskStore.close();
      await dropSchema(url, schema);
    });
    // Risk approved the order the consumer's fill names before a restart.
    await riskStore.saveBook(cfg.risk.account, bookWithOrders(approvedBtcBuys(cfg, [{ id: 'o:live', qty: 0.01, expiresAt: FROM + 2 * 86_400_000 }])), 0);
    const registry = await trainedRegistry(['BTC/USDT'], FROM);
    const engine = await startLiveEngine(cfg, { bus, registry, riskStore }, cleanup);
    const announced: RiskState[] = [];
    bus.subscribe(subjects.riskState(), (_s, data) => announced.push(RiskStateSchema.parse(JSON.parse(dec.decode(data)))));
    const fill = liveFill(cfg, FROM + 86_400_000);
    const sendFill = (): Promise<unknown> => bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(fill), { msgId: fill.id });
    return { cfg, subjects, schema, bus, engine, announced, sendFill };
  };

  it('stored: announced HALTED once the write is stored, with no flag', async () => {
    const { cfg, schema, engine, announced, sendFill } = await started();
    let storedWhenAnnounced: unknown;
    const seen = new Promise<void>((r) => {
      const poll = setInterval(() => {
        if (announced.length === 0) return;
        clearInterval(poll);
        void queryRows<{ state: string }>(url, `SELECT state FROM ${schema}.risk_trading WHERE account = $1`, [cfg.risk.account]).then((rows) => {
          storedWhenAnnounced = rows[0]?.state;
          r();
        });
      }, 1);
    });
    await sendFill();
    await Promise.race([seen, sleep(10_000)]);
    await sleep(300);
    expect(announced.map((s) => ({ state: s.state, previous: s.previous, stored: s.stored }))).toEqual([{ state: 'HALTED', previous: 'ACTIVE', stored: undefined }]);
    expect(storedWhenAnnounced).toBe('HALTED');
    expect(engine.failure()).toBeUndefined();
  }, 60_000);

  it('not stored: announced HALTED stored: false, and ctl status says the decision path stopped and why', async () => {
    const { subjects, schema, bus, engine, announced, sendFill } = await started();
    // From now on PostgreSQL refuses every write of the book (a constraint no row meets: 23514, not retryable).
    await queryRows(url, `ALTER TABLE ${schema}.risk_book ADD CONSTRAINT refuse_writes CHECK (false) NOT VALID`);
    await sendFill();

    const failure = await Promise.race([engine.failed(), sleep(10_000).then(() => undefined)]);
    expect(failure).toBeInstanceOf(DecisionPathFailedError);
    // The halt holds in memory: nothing trades after a breach because its write failed.
    expect(engine.decisions?.risk.status().state).toBe('HALTED');
    await sleep(300);
    // Announced flagged, as its write failed; but the trading state, written before the refused
    // book, is stored (a restart comes back HALTED): the same change is announced again, stored: true.
    expect(announced.map((s) => ({ state: s.state, previous: s.previous, stored: s.stored }))).toEqual([
      { state: 'HALTED', previous: 'ACTIVE', stored: false },
      { state: 'HALTED', previous: 'ACTIVE', stored: true },
    ]);
    expect(announced[0]?.reason).toMatch(/^DAILY_LOSS: /);
    expect(announced[1]).toEqual({ ...announced[0], stored: true });
    expect((await queryRows<{ state: string }>(url, `SELECT state FROM ${schema}.risk_trading WHERE account = $1`, [engine.decisions?.risk.core.account ?? '']))[0]?.state).toBe('HALTED');

    // `sextant ctl status` says the decision path stopped, and why.
    const reply = JSON.parse(dec.decode(await bus.request(subjects.control('status'), enc.encode(JSON.stringify({ v: 1, id: 'st-1', operator: 'carol', args: {} })), 5_000))) as {
      ok: boolean;
      result: { risk: { state: string }; decisionFailure: string | null };
    };
    expect(reply.ok).toBe(true);
    expect(reply.result.risk.state).toBe('HALTED');
    expect(reply.result.decisionFailure).toMatch(/^decision path failed: .*refuse_writes.*; restart the engine/);
    // The dashboard's actors topic: the decision actor `failed`, with why.
    const actors = new Map<string, ActorSummary>();
    const feed = startEngineStatusFeed({ engine, hub: { publishLocal: (topic, key, data) => void (topic === 'actors' && actors.set(key, data as ActorSummary)) }, bus, consumers: [], intervalMs: 1_000, log: silentLogger });
    feed.stop();
    const decision = [...actors.values()].find((a) => a.kind === 'decision');
    expect(decision).toMatchObject({ state: 'failed', lastError: reply.result.decisionFailure });
  }, 60_000);
});
