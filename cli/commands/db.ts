import { Command, InvalidArgumentError } from 'commander';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
import { emptyWindow, parseTime } from '../option-parsers.js';

/** The history store `sextant db` works on, and the schema it is in (for what it says). */
export type OpenHistoryStore = () => Promise<Readonly<{ store: Pick<TimeseriesStore, 'flavor' | 'refreshAggregates' | 'close'>; schema: string }>>;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * `sextant db refresh-aggregates --from <date> --to <date>`: refreshes TimescaleDB's continuous
 * aggregates (`bars_1h`, `trade_bars_1m`) over a range by hand, widened to whole buckets. The
 * engine refreshes the history it writes itself (actors/history-refresh.ts); this repairs what it
 * could not: history written by another tool, or a refresh that failed (its log line names this
 * command with the range). On plain PostgreSQL it says there is nothing to refresh and exits 0.
 *
 * @example sextant db refresh-aggregates --from 2021-01-01 --to 2024-01-01
 */
export function dbCommand(open: OpenHistoryStore, out: (line: string) => void = (line) => void process.stdout.write(`${line}\n`)): Command {
  const db = new Command('db').description('operate on the PostgreSQL history store (config postgres)');
  db.command('refresh-aggregates')
    .description('refresh the TimescaleDB continuous aggregates bars_1h and trade_bars_1m over [--from, --to), widened to whole buckets (nothing on plain PostgreSQL)')
    .requiredOption('--from <date>', 'range start (inclusive): a date, an ISO time or epoch ms', parseTime)
    .requiredOption('--to <date>', 'range end (exclusive)', parseTime)
    .action(async (opts: { from: number; to: number }) => {
      const empty = emptyWindow(opts.from, opts.to);
      if (empty !== undefined) throw new InvalidArgumentError(empty);
      const { store, schema } = await open();
      try {
        if (store.flavor !== 'timescale' || store.refreshAggregates === undefined) {
          out(`nothing to refresh: the history in schema ${schema} is on plain PostgreSQL (the timescaledb extension is not installed), which has no continuous aggregates`);
          return;
        }
        const range = { from: opts.from, to: opts.to };
        const done = await store.refreshAggregates({ bars: range, trades: range });
        for (const r of done) out(`refreshed ${schema}.${r.view} over ${iso(r.from)} → ${iso(r.to)}`);
      } finally {
        await store.close();
      }
    });
  return db;
}
