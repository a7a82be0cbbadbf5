import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { UNKNOWN_VENUE, barFileName, findBarFilesUnder } from '../../gateways/data-dir.js';
import { readMarketData } from '../../gateways/historical/market-data-csv.js';
import type { MarketDataKind } from '../../gateways/historical/market-data-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { replay, subjectOf } from '../../gateways/replay.js';
import { resumeAfterStored } from '../../gateways/replay-resume.js';
import type { StoredMark } from '../../gateways/replay-resume.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { natsBusOptions } from '../nats-options.js';
import { spellingHint } from './symbol-spelling.js';
import { missingBarFilesMessage } from './missing-bar-files.js';
import { unreadDataWarnings } from './unread-data-warnings.js';
import { emptyWindow, repeatedIn } from '../option-parsers.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { encode } from '../../streams/codec.js';
import { RefusalReason } from '../../streams/messages/dlq-entry.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import { toDlqEntry } from '../../streams/validation/dlq.js';
import { refuse } from '../../streams/validation/refusal.js';
import { decodeMarketData } from '../../streams/validation/decode-market-data.js';
import type { SourceError } from '../../gateways/historical/source-error.js';
import { parseTimeframe } from '../../gateways/historical/bars-csv.js';
import { barSpacingProblem } from './replay-bar-spacing.js';
import type { ReplayFile } from './replay-bar-spacing.js';
import { onStopSignals, signalExitCode } from '../stop-signals.js';
import { createLogger } from '../logger.js';
import { logNatsConnection } from '../nats-connection-log.js';
import { counted, noRowsIn, noRowsNote } from './replay-coverage.js';

export type ReplayCommandOptions = Readonly<{
  configFile?: string;
  data: string;
  symbols?: readonly string[];
  symbol?: string;
  /** Default: a single file's timeframe by its name (`BTC_USDT_5m….csv`), else 1h. */
  timeframe?: string;
  from?: number;
  to?: number;
  speed: number | 'max';
}>;

/** `BTC_USDT_1h.csv` → `BTC/USDT`; undefined when the name does not say. */
const symbolFromName = (path: string): string | undefined => {
  const m = /^([A-Z0-9]+)_([A-Z0-9]+)_/.exec(basename(path));
  return m === null ? undefined : `${m[1]}/${m[2]}`;
};

const DEFAULT_TIMEFRAME = '1h';

/** Refused replay input: named before anything is connected to or published. */
export class ReplayInputError extends Error {
  override readonly name = 'ReplayInputError';
}

/** A bad row of a replayed file, with the subject it would have been published on. */
export type BadRow = (error: SourceError, where: Readonly<{ venue: string; symbol: string; tf: string; kind: MarketDataKind }>) => void;

/**
 * The files `sextant replay` reads and what each holds (see {@link replaySources}), checked by
 * name and flags only: nothing is read. Throws {@link ReplayInputError}.
 */
export function replayFiles(cfg: Config, opts: Omit<ReplayCommandOptions, 'configFile' | 'speed'>): ReplayFile[] {
  const known = new Set(cfg.assets.map((a) => a.symbol));
  const empty = emptyWindow(opts.from, opts.to);
  if (empty !== undefined) throw new ReplayInputError(empty);
  if (!existsSync(opts.data)) throw new ReplayInputError(`--data ${opts.data} does not exist`);
  const isFolder = statSync(opts.data).isDirectory();
  // Each flag picks for one kind of input only; taken by the other it was ignored without a word
  // (`--symbol ETH/USDT` on a folder replayed every configured asset).
  if (isFolder && opts.symbol !== undefined) throw new ReplayInputError(`--symbol names the symbol of a single file; ${opts.data} is a folder: give --symbols ${opts.symbol}`);
  if (!isFolder && opts.symbols !== undefined) throw new ReplayInputError(`--symbols picks the files of a folder; ${opts.data} is a file: its symbol comes from its name, or give --symbol`);
  if (isFolder) {
    const twice = repeatedIn(opts.symbols ?? []);
    if (twice.length > 0) throw new ReplayInputError(`--symbols names ${twice.join(', ')} more than once`);
    const unknown = (opts.symbols ?? []).filter((s) => !known.has(s));
    if (unknown.length > 0) throw new ReplayInputError(`not configured assets: ${unknown.join(', ')} (add them under assets: in the config)${spellingHint(unknown, known)}`);
    const symbols = opts.symbols ?? [...known];
    const timeframe = opts.timeframe ?? DEFAULT_TIMEFRAME;
    const files = findBarFilesUnder(opts.data, { symbols, timeframe });
    const missing = symbols.filter((sym) => !files.some((f) => f.symbol === sym));
    // The configured assets by default: replay those the folder has, name the rest only if none is there.
    if (files.length === 0 || (opts.symbols !== undefined && missing.length > 0)) {
      const none = files.length === 0 ? symbols : missing;
      throw new ReplayInputError(missingBarFilesMessage(opts.data, none, timeframe, []));
    }
    return files.map((f) => ({ path: f.path, venue: f.venue === UNKNOWN_VENUE ? cfg.venue : f.venue, symbol: f.symbol, tf: f.timeframe, tfFrom: 'name' }));
  }
  // A file's name is the only place that says what it holds: a 5m file replayed with the default
  // 1h was published as 1h bars (ids and subject), and `--symbol ETH/USDT` on BTC_USDT_1h.csv as
  // ETH bars. The name's timeframe is the default; a flag that contradicts the name is refused.
  const named = barFileName(basename(opts.data));
  const byName = named?.symbol ?? symbolFromName(opts.data);
  const symbol = opts.symbol ?? byName;
  if (symbol === undefined) throw new ReplayInputError(`cannot tell the symbol of ${opts.data}: pass --symbol BASE/QUOTE`);
  if (!known.has(symbol)) throw new ReplayInputError(`not a configured asset: ${symbol} (add it under assets: in the config)${spellingHint([symbol], known)}`);
  if (byName !== undefined && symbol !== byName) throw new ReplayInputError(`${basename(opts.data)} holds ${byName} data by its name, not ${symbol}: leave out --symbol`);
  if (opts.timeframe !== undefined && named !== undefined && opts.timeframe !== named.timeframe) throw new ReplayInputError(`${basename(opts.data)} holds ${named.timeframe} bars by its name, not ${opts.timeframe}: leave out --timeframe or give --timeframe ${named.timeframe}`);
  const tf = parseTimeframe(opts.timeframe ?? named?.timeframe ?? DEFAULT_TIMEFRAME);
  const tfFrom = named !== undefined ? 'name' : opts.timeframe !== undefined ? 'flag' : 'default';
  return [{ path: opts.data, venue: cfg.venue, symbol, tf, tfFrom }];
}

/** The readers of `files`: the window and the bad-row handler of {@link replaySources}. */
function openFiles(files: readonly ReplayFile[], opts: Readonly<{ from?: number; to?: number; notAfter?: number }>, onBadRow?: BadRow): AsyncIterable<MarketData>[] {
  const window = { from: opts.from, to: opts.to, notAfter: opts.notAfter };
  return files.map((f) =>
    readMarketData(f.path, { venue: f.venue, symbol: f.symbol, tf: f.tf, ...window, ...(onBadRow === undefined ? {} : { onBadRow: (e: SourceError, kind: MarketDataKind) => onBadRow(e, { venue: f.venue, symbol: f.symbol, tf: f.tf, kind }) }) }),
  );
}

/**
 * What `sextant replay` publishes, checked before anything connects: one CSV file (its symbol and
 * bar timeframe from its name, `--symbol`/`--timeframe` where it does not say), or the bar files of a folder — a data root with `ohlcv/` or a flat
 * folder of `<BASE>_<QUOTE>_<tf>….csv` files, as `sextant backtest` takes them. Only configured
 * assets, each named once; every symbol asked for must have a file; the window must not be empty.
 * A file in a flat folder says nothing of its venue: the config's is used, as a backtest does.
 */
export function replaySources(cfg: Config, opts: Omit<ReplayCommandOptions, 'configFile' | 'speed'> & Readonly<{ notAfter?: number }>, onBadRow?: BadRow): AsyncIterable<MarketData>[] {
  return openFiles(replayFiles(cfg, opts), opts, onBadRow);
}

/**
 * {@link replaySources}, after reading the head of each bar file: a file whose first bars are not
 * its timeframe apart is refused ({@link ReplayInputError}) before anything connects, as
 * `sextant backtest --data <file>` refuses it.
 */
export async function openReplaySources(cfg: Config, opts: Omit<ReplayCommandOptions, 'configFile' | 'speed'> & Readonly<{ notAfter?: number }>, onBadRow?: BadRow): Promise<AsyncIterable<MarketData>[]> {
  return (await openReplayFiles(cfg, opts, onBadRow)).sources;
}

/** {@link openReplaySources}, with the file each source reads (same order). */
async function openReplayFiles(cfg: Config, opts: Omit<ReplayCommandOptions, 'configFile' | 'speed'> & Readonly<{ notAfter?: number }>, onBadRow?: BadRow): Promise<{ files: ReplayFile[]; sources: AsyncIterable<MarketData>[] }> {
  const files = replayFiles(cfg, opts);
  for (const f of files) {
    const problem = await barSpacingProblem(f, opts.notAfter);
    if (problem !== undefined) throw new ReplayInputError(problem);
  }
  return { files, sources: openFiles(files, opts, onBadRow) };
}

/**
 * `sextant replay`: publishes historical CSV data into JetStream with deterministic ids (so a
 * second replay of the same data stores nothing twice), as fast as possible or at a speed factor.
 * Only configured assets are published: anything else would have no actor to consume it.
 * A replay started again after an interruption resumes after what the MD stream already holds of
 * each subject (`skipped` counts what it left out): the stream's duplicate window alone (two
 * minutes by default) would store everything published before the interruption a second time.
 */
export async function runReplay(opts: ReplayCommandOptions): Promise<void> {
  const cfg = loadConfig({ file: opts.configFile });
  const subjects = subjectsFor(cfg.prefix);
  // A bad row (unparsable, or out of time order) is refused to `sx.dlq.replay` with its file, line,
  // the row as the file holds it (the entry's payload) and the reason, and the replay goes on; the
  // rows around it are published.
  const refusals: Promise<unknown>[] = [];
  /** Set once connected (sources are checked before anything connects; bad rows come while they are read). */
  const dlqOut: { publish?: (entry: DlqEntry) => Promise<unknown> } = {};
  // A row later than now is a typo (see ReadWindow.notAfter); a minute's allowance for a file
  // recorded on a machine whose clock runs ahead.
  const notAfter = Date.now() + 60_000;
  const { files, sources } = await openReplayFiles(cfg, { ...opts, notAfter }, (e, where) => {
    // A bar row at the time of the one before it has that bar's id: DUPLICATE, as the asset
    // actor's tick gate would call it, not OUT_OF_ORDER.
    const reason = /repeats the previous row/.test(e.message) ? RefusalReason.DUPLICATE : /time order/.test(e.message) ? RefusalReason.OUT_OF_ORDER : RefusalReason.SCHEMA;
    // The subject the row would have been published on: a bad trade or quote row is not a bar's.
    const subject = where.kind === 'trade' ? subjects.trade(where.venue, where.symbol) : where.kind === 'quote' ? subjects.quote(where.venue, where.symbol) : subjects.bar(where.venue, where.symbol, where.tf);
    const entry = toDlqEntry({ source: 'replay', subject, data: encode({ file: e.file, line: e.line, ...(e.row === undefined ? {} : { row: e.row }) }), refusal: refuse(reason, e.message), ts: Date.now() });
    process.stderr.write(`\nrefused ${e.message}\n`);
    if (dlqOut.publish !== undefined) refusals.push(dlqOut.publish(entry));
  });
  // Files of the symbols that look like bars but are not read (mark candles, a 3m file) were left out without a word.
  if (statSync(opts.data).isDirectory()) for (const w of unreadDataWarnings(opts.data, opts.symbols ?? cfg.assets.map((a) => a.symbol))) process.stderr.write(`${w}\n`);

  const bus = await createNatsBus(natsBusOptions(cfg.nats, `${cfg.nats.name}-replay`));
  // A lost NATS connection and its return are said on stderr, as `sextant run` logs them.
  const nats = logNatsConnection(bus, createLogger(cfg.log.level), `${cfg.nats.name}-replay`);
  // Ctrl-C (or SIGTERM) stops issuing, waits for the publishes in flight and prints the summary
  // (interrupted): it used to kill the replay without a word, exit 130, the cursor left hidden.
  const signals = onStopSignals('publishes in flight may not be stored (run the same replay again: it resumes after what the stream holds)');
  dlqOut.publish = (entry) => bus.publish(subjects.dlq('replay'), encode(entry), { msgId: entry.id });
  const progress = new SingleBar({ format: ' replay |{bar}| {value} msgs | {rate} msg/s', hideCursor: true, stream: process.stderr }, Presets.shades_classic);
  try {
    await bus.ensureStreams(streamSpecs(cfg));
    const mdStream = streamName(cfg, 'MD');
    const lastStored = async (subject: string): Promise<StoredMark | undefined> => {
      const last = await bus.lastMessage(mdStream, subject);
      if (last === undefined) return undefined;
      // Something that is not market data of this subject marks nothing: the msgId window still applies.
      const r = decodeMarketData(subject, last.data, { maxPayloadBytes: cfg.validation.maxPayloadBytes, subjects, isKnown: () => true });
      return r.ok ? { ts: r.msg.ts, id: r.msg.id } : undefined;
    };
    let skipped = 0;
    // Rows each file gave in the window (before the resume skips any): a symbol with none is named.
    const rows = files.map(() => 0);
    const source = resumeAfterStored(mergeByTime(...sources.map((s, i) => counted(s, () => void rows[i]!++))), { subjectOf: (m) => subjectOf(subjects, m), lastStored, onSkip: () => void skipped++ });
    const started = performance.now();
    progress.start(0, 0, { rate: 0 });
    const result = await replay({
      bus,
      subjects,
      source,
      speed: opts.speed,
      signal: signals.signal,
      onProgress: (n) => {
        if (n % 1000 === 0) progress.update(n, { rate: Math.round(n / ((performance.now() - started) / 1000)) });
      },
    });
    progress.update(result.published);
    progress.stop();
    await Promise.all(refusals);
    const secs = (performance.now() - started) / 1000;
    // A symbol asked for whose file has no row in the window published nothing, and nothing said so
    // while another symbol's bars were published: named, with where its data starts and ends.
    const noRows = result.interrupted === true ? [] : await Promise.all(files.filter((_, i) => rows[i] === 0).map((f) => noRowsIn(f, notAfter)));
    process.stdout.write(
      `${JSON.stringify({ published: result.published, duplicates: result.duplicates, stored: result.published - result.duplicates, skipped, refused: refusals.length, ...(result.interrupted === true ? { interrupted: String(signals.signal.reason) } : {}), ...(noRows.length > 0 ? { noRows } : {}), seconds: Math.round(secs * 100) / 100, firstTs: result.firstTs, lastTs: result.lastTs })}\n`,
    );
    // Without a word, a replay of a window older than what the stream holds published nothing and
    // only counted it: say why, and how to publish it.
    if (skipped > 0) {
      process.stderr.write(
        `note: skipped ${skipped} message(s) at or before the newest of their subject that stream ${mdStream} holds: a replay resumes after it, and the asset actors would refuse older data as OUT_OF_ORDER; to publish an earlier window, replay into empty streams (another SEXTANT__prefix and SEXTANT__streamNamePrefix)\n`,
      );
    }
    if (result.interrupted === true) {
      const by = String(signals.signal.reason) as NodeJS.Signals;
      process.stderr.write(`note: interrupted by ${by} after ${result.published} message(s)${result.lastTs === undefined ? '' : ` (up to ${new Date(result.lastTs).toISOString()})`}: run the same replay again to resume after what stream ${mdStream} holds\n`);
      process.exitCode = signalExitCode(by);
    }
    const iso = (ms: number | undefined): string => (ms === undefined ? 'open' : new Date(ms).toISOString());
    for (const n of noRows) process.stderr.write(noRowsNote(n, `${iso(opts.from)} to ${iso(opts.to)}`));
    // A window the files hold no row of (1m files of 2026 asked for 2024) printed zeros and nothing else.
    if (result.interrupted !== true && result.published === 0 && skipped === 0 && refusals.length === 0) {
      const files = `the ${sources.length} file(s) read from ${opts.data}`;
      process.stderr.write(
        opts.from === undefined && opts.to === undefined
          ? `note: nothing published: ${files} hold no rows\n`
          : `note: nothing published: no row of ${files} falls in the window ${iso(opts.from)} to ${iso(opts.to)}: pick a window the files cover\n`,
      );
    }
  } finally {
    progress.stop();
    nats.stop();
    await bus.close();
    signals.dispose();
  }
}
