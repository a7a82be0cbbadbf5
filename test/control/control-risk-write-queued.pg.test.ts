import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditStore } from '../../state/audit-store.js';
import { BTC, fill, suggestion, T0, VENUE } from '../risk/risk-fixtures.js';
import { ACCOUNT, PG_URL, startStallWorld, testSchema } from './control-world.js';
import type { StallWorld } from './control-world.js';

// Real PostgreSQL behind a proxy that plays the hung server; fails (never skips) when it is not
// reachable. Schemas of this file only.
/** An audit store on the same hung server: its writes never answer (the control server's deadline gives them up). */
const hungAudit: AuditStore = { record: () => new Promise<void>(() => {}), recent: async () => [], close: async () => {} };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !(await cond()); ) {
    if (Date.now() > end) throw new Error(`still waiting for ${what} after ${ms} ms`);
    await sleep(10);
  }
}

type World = StallWorld &
  Readonly<{
    /** Ends, from the server side, this world's sessions left in a transaction whose statement got no answer. */
    endStuckSessions(): Promise<void>;
  }>;

/** The risk actor and control server as the engine wires them (cli/wiring.ts, cli/decisions.ts), default settings, the store through the proxy. */
async function world(audit?: AuditStore): Promise<World> {
  const schema = testSchema('ctl_riskq');
  // Named, so that a test can end its sessions from the server side (pg_terminate_backend).
  const w = await startStallWorld(schema, { audit, known: { symbols: [BTC], strategies: ['alpha'] }, nameSessions: true });
  return {
    ...w,
    endStuckSessions: async () => {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      try {
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'`, [schema]);
      } finally {
        await admin.end();
      }
    },
  };
}

/** A suggestion decided now (the decision path's check against the core, as cli/decisions.ts wires it): an order or a reject. */
const decided = (w: World, ts: number): string => {
  w.risk.core.onMarket({ venue: VENUE, symbol: BTC, ts, mid: 100 });
  const d = w.risk.core.onSuggestion(suggestion({ ts }), ts);
  return d.kind === 'order' ? 'order' : `reject ${d.reject.reasons.join(',')}`;
};

// A halt waited its turn behind the risk store's earlier writes: behind a book write on a server
// that stopped answering (bounded only by postgres.queryTimeoutMs, 15 s) it was not in force, and
// not answered, until that write gave up, and sextant ctl read "engine not reached" at 5 s. Behind
// another operator's command stuck on the store (a `limits set`), it was in force only once that
// command's write ended. The kill switch is now in force from the moment it is received, and every
// command answers within riskWriteTimeoutMs and two answer margins (2 s) of its receipt.
describe('an operator command queued behind a risk write the store does not answer', () => {
  const worlds: World[] = [];
  const started = async (audit?: AuditStore): Promise<World> => {
    const w = await world(audit);
    worlds.push(w);
    return w;
  };
  afterAll(async () => {
    for (const w of worlds) await w.close();
  });

  it('a halt behind a risk-book write on a hung server: in force at once, answered UNAVAILABLE well within ctl\'s timeout, stored once the store answers', async () => {
    const w = await started();
    expect(decided(w, T0)).toBe('order');
    await w.store.load(ACCOUNT); // the pool's connections open, as a running engine's are
    w.proxy.stallWhenSent(`INSERT INTO ${w.schema}.risk_book`); // the session writing the book gets no answer
    const book = w.risk.fill(fill({ orderId: 'o:x', qty: 1, price: 100 })); // its write waits postgres.queryTimeoutMs (15 s)
    book.catch(() => {});
    await sleep(100);
    const halt = w.ask('halt', { reason: 'exchange incident' });
    await until(() => w.risk.status().state === 'HALTED', 'the halt in force', 300);
    expect(decided(w, T0 + 1)).toBe('reject HALTED'); // nothing decided after the halt passes
    const { reply, ms } = await halt;
    expect(reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(reply.ok ? '' : reply.error.message).toMatch(
      /^halted in this engine \(in force now\), but storing the halt failed: risk store: no answer within 2000 ms of the command \(control\.riskWriteTimeoutMs, 1500 ms, and 2 × 250 for the store's answer\): it waits behind an earlier risk write the store has not answered; it is stored once the store takes it; a restart before it is stored would not find it: halt again to store it$/,
    );
    expect(ms).toBeLessThan(3000); // 2000, well under ctl's 5000 (the audit deadline comes after it)
    expect(w.risk.status().state).toBe('HALTED');
    // The stuck session ends (the server ends it): the book write fails, and the halt is stored after it, not lost.
    await w.endStuckSessions();
    await expect(book).rejects.toThrow();
    await until(async () => (await w.stored()) === 'HALTED', 'the halt stored');
  }, 20_000);

  it('a halt behind another operator\'s `limits set` stuck on a hung server: in force at once, both answered UNAVAILABLE within ctl\'s timeout', async () => {
    const w = await started();
    const before = w.risk.getLimits();
    await w.store.load(ACCOUNT);
    w.proxy.stall();
    const set = w.ask('limits.set', { patch: { maxOrderNotional: before.maxOrderNotional + 1 } });
    await sleep(300);
    const t0 = Date.now();
    const halt = w.ask('halt', { reason: 'exchange incident' });
    await until(() => w.risk.status().state === 'HALTED', 'the halt in force', 300);
    expect(Date.now() - t0).toBeLessThan(300); // not 1.5 s later, when the limits write gave up
    expect(decided(w, T0 + 1)).toBe('reject HALTED');
    const [s, h] = await Promise.all([set, halt]);
    expect(s.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/^limits not changed: storing them failed: save risk limits: no answer from PostgreSQL within 1750 ms/) } });
    expect(h.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/^halted in this engine \(in force now\), but storing the halt failed: /) } });
    expect(h.ms).toBeLessThan(3000);
    expect(w.risk.getLimits()).toEqual(before);
    expect(w.risk.status().state).toBe('HALTED');
  }, 20_000);

  it('a resume queued behind a stuck write past its deadline is not carried out later', async () => {
    const w = await started();
    expect((await w.ask('halt', { reason: 'drill' })).reply).toMatchObject({ ok: true });
    await w.store.load(ACCOUNT);
    w.proxy.stall();
    const book = w.risk.fill(fill({ orderId: 'o:y', qty: 1, price: 100 }));
    book.catch(() => {});
    await sleep(100);
    const resumed = await w.ask('resume', { reason: 'over' });
    expect(resumed.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/^not resumed: storing it failed: risk store: no answer within 2000 ms .*: it waits behind an earlier risk write the store has not answered; it is not carried out; the account stays HALTED$/) } });
    expect(resumed.ms).toBeLessThan(3000);
    w.proxy.drop();
    w.proxy.resume();
    await expect(book).rejects.toThrow();
    await sleep(300); // its turn came: dropped, not carried out
    expect(w.risk.status().state).toBe('HALTED');
    expect(await w.stored()).toBe('HALTED');
  }, 20_000);

  // `limits set` that halts made two bounded writes in a row, then the audit write had its own
  // deadline: with the limits row locked for 1.3 s (under the 1.5 s bound), the halt's write on a
  // server that stopped answering (1.75 s) and an audit that did not answer (2 s), ctl's 5 s passed.
  it('limits set that halts, worst case: one deadline over both writes, answered with the audit deadline well within ctl\'s timeout', async () => {
    const w = await started(hungAudit);
    // 10 lost today (limit 1,000): lowering the limit to 5 halts.
    w.risk.core.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    w.risk.core.onFill(fill({ orderId: 'o:z', qty: 1, price: 100 }));
    w.risk.core.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: 90 });
    const locker = new pg.Client({ connectionString: PG_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      expect((await locker.query(`SELECT 1 FROM ${w.schema}.risk_limits WHERE account = $1 FOR UPDATE`, [ACCOUNT])).rowCount).toBe(1); // stored at start
      const released = sleep(1300).then(() => locker.query('ROLLBACK'));
      w.proxy.stallWhenSent('risk_trading'); // the halt's write gets no answer
      const set = await w.ask('limits.set', { patch: { maxDailyLoss: 5 } });
      await released;
      expect(set.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/^limits changed \(stored, in force\), but storing the halt they caused failed: /) } });
      expect(set.ms).toBeLessThan(4700); // 2000 for the command, 2000 for the audit: answered (past 5000 `ask` throws)
      expect(w.risk.getLimits().maxDailyLoss).toBe(5);
      expect(w.risk.status().state).toBe('HALTED');
    } finally {
      await locker.end();
    }
  }, 20_000);
});
