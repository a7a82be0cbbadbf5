import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { dbCommand } from '../../cli/commands/db.js';
import type { OpenHistoryStore } from '../../cli/commands/db.js';
import type { WrittenRanges } from '../../state/aggregate-refresh.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import { dropSchema } from '../support/pg.js';

const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_dbr_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

afterAll(async () => {
  await dropSchema(url, schema);
});

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** The command with its output and commander's errors caught, on the store `open` gives. */
function run(open: OpenHistoryStore, args: string[]): { done: Promise<unknown>; out: string[] } {
  const out: string[] = [];
  const cmd = dbCommand(open, (l) => void out.push(l));
  cmd.exitOverride().configureOutput({ writeErr: () => undefined });
  for (const sub of cmd.commands) sub.exitOverride().configureOutput({ writeErr: () => undefined });
  return { done: cmd.parseAsync(['refresh-aggregates', ...args], { from: 'user' }), out };
}

describe('sextant db refresh-aggregates', () => {
  it('refuses a missing bound, a bad date and an empty range before opening the store', async () => {
    let opened = 0;
    const open: OpenHistoryStore = async () => {
      opened++;
      throw new Error('not to be opened');
    };
    await expect(run(open, ['--from', '2024-01-01']).done).rejects.toThrow(/required option '--to <date>' not specified/);
    await expect(run(open, ['--from', 'yesterday', '--to', '2024-01-02']).done).rejects.toThrow(/not a date or epoch ms: yesterday/);
    await expect(run(open, ['--from', '2024-01-02', '--to', '2024-01-01']).done).rejects.toThrow(/the window is empty: --from 2024-01-02T00:00:00.000Z is not before --to 2024-01-01T00:00:00.000Z/);
    expect(opened).toBe(0);
  });

  it('says there is nothing to refresh on plain PostgreSQL (a real store on this machine)', async () => {
    const r = run(async () => ({ store: await createPgTimeseriesStore({ url, schema, poolSize: 1 }), schema }), ['--from', '2024-01-01', '--to', '2024-02-01']);
    await r.done;
    expect(r.out).toEqual([`nothing to refresh: the history in schema ${schema} is on plain PostgreSQL (the timescaledb extension is not installed), which has no continuous aggregates`]);
  });

  it('refreshes both aggregates over the range on TimescaleDB, says what it refreshed and closes the store', async () => {
    const asked: WrittenRanges[] = [];
    let closed = false;
    const open: OpenHistoryStore = async () => ({
      schema: 'sextant',
      store: {
        flavor: 'timescale',
        refreshAggregates: async (w) => {
          asked.push(w);
          return [{ view: 'bars_1h', from: T0, to: T0 + 2 * H }, { view: 'trade_bars_1m', from: T0 + 60_000, to: T0 + 2 * H }];
        },
        close: async () => void (closed = true),
      },
    });
    const r = run(open, ['--from', '2024-01-01T00:30:00Z', '--to', String(T0 + 2 * H)]);
    await r.done;
    const range = { from: T0 + H / 2, to: T0 + 2 * H };
    expect(asked).toEqual([{ bars: range, trades: range }]);
    expect(r.out).toEqual(['refreshed sextant.bars_1h over 2024-01-01T00:00:00.000Z → 2024-01-01T02:00:00.000Z', 'refreshed sextant.trade_bars_1m over 2024-01-01T00:01:00.000Z → 2024-01-01T02:00:00.000Z']);
    expect(closed).toBe(true);
  });
});
