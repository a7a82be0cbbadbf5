import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgRiskStore } from '../../state/pg-risk-store.js';
import { dropSchema } from '../support/pg.js';
import { watchCommitSetting, withAsyncCommitDefault } from '../support/pg-commit-setting.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_riskdur_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
afterAll(async () => {
  await dropSchema(url, schema);
});

const showSetting = async (u: string): Promise<string> => {
  const c = new pg.Client({ connectionString: u });
  await c.connect();
  try {
    return (await c.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]?.synchronous_commit ?? '?';
  } finally {
    await c.end();
  }
};

describe('risk writes are durable (PostgreSQL)', () => {
  // The engine acknowledges the inputs a book write covers once the write is stored: a write a
  // PostgreSQL crash can still lose (synchronous_commit off) restores a book older than what was
  // acknowledged, and a HALTED state that must survive a restart can be lost with it.
  it('commits the book, the trading state and the limits with synchronous_commit on, even where the sessions default to off', async () => {
    const first = await createPgRiskStore({ url, schema });
    await first.close();
    const seen = { risk_book: await watchCommitSetting(url, schema, 'risk_book'), risk_trading: await watchCommitSetting(url, schema, 'risk_trading'), risk_limits: await watchCommitSetting(url, schema, 'risk_limits') };
    const asyncUrl = withAsyncCommitDefault(url);
    expect(await showSetting(asyncUrl)).toBe('off'); // the stand-in for such a server is real

    for (const [i, u] of [url, asyncUrl].entries()) {
      const store = await createPgRiskStore({ url: u, schema });
      try {
        await store.saveBook('desk-1', { positions: { 'BTC/USDT': 1.5 + i } }, 1_700_000_000_000 + i);
        await store.saveTrading('desk-1', { state: 'HALTED', reason: 'operator halt', seq: 1 + i }, 1_700_000_000_000 + i);
        await store.saveLimits('desk-1', { maxOrderQty: 3 + i }, 1_700_000_000_000 + i);
        expect(await store.load('desk-1')).toEqual({ book: { positions: { 'BTC/USDT': 1.5 + i } }, trading: { state: 'HALTED', reason: 'operator halt', seq: 1 + i }, limits: { maxOrderQty: 3 + i } });
      } finally {
        await store.close();
      }
    }
    expect(await seen.risk_book()).toEqual(['on', 'on']);
    expect(await seen.risk_trading()).toEqual(['on', 'on']);
    expect(await seen.risk_limits()).toEqual(['on', 'on']);
  });

  it('a failed write rolls back and leaves the store usable', async () => {
    const store = await createPgRiskStore({ url, schema });
    try {
      await store.saveBook('desk-2', { n: 1 }, 1_700_000_000_000);
      await expect(store.saveBook('desk-2', { n: 2 }, Number.NaN)).rejects.toThrow(/save risk book/);
      // Both pooled connections are back and out of any transaction: later writes land.
      for (let n = 3; n < 6; n++) await store.saveBook('desk-2', { n }, 1_700_000_000_000 + n);
      expect((await store.load('desk-2')).book).toEqual({ n: 5 });
    } finally {
      await store.close();
    }
  });
});
