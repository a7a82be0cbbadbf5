import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TIMEFRAMES } from '../streams/messages/bar.js';
import type { Timeframe } from '../streams/messages/bar.js';
import { freqtradeFileName, freqtradeVenueOf, TIMEFRAME_LIKE, unreadFreqtradeFile } from './freqtrade-files.js';
import { parseTimeframe } from './historical/bars-csv.js';
import type { UnreadFile } from './unread-bar-files.js';
import { unreadFilesNote } from './unread-bar-files.js';

/** The environment variable that points at the market-data folder. */
export const DATA_DIR_ENV = 'SEXTANT_DATA_DIR';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** `<repo root>/../shared/data`: where the project's machines keep the read-only data. */
export const DEFAULT_DATA_DIR = resolve(REPO_ROOT, '../shared/data');

const LAYOUT = [
  '  ohlcv/<venue>_<market>_<tf>/<BASE>_<QUOTE>_<tf>[_<anything>].csv   OHLCV bars, e.g. ohlcv/binance_spot_5m/BTC_USDT_5m_2024-01_2024-09.csv',
  '      columns timestamp,datetime,open,high,low,close,volume[,…]  (timestamp = open time, epoch ms)',
  '  ticks/*.csv   optional: trades (freqtrade or nautilus layout) and bookTicker quotes',
  'or as freqtrade download-data writes it (user_data/data/<exchange>, the exchange folder given as the data folder):',
  '  <BASE>_<QUOTE>-<tf>.<feather|json|json.gz|parquet>   spot bars, e.g. binance/BTC_USDT-1h.feather',
  '  futures/<BASE>_<QUOTE>_<SETTLE>-<tf>-futures.<ext>   futures bars (symbol BTC/USDT:USDT)',
].join('\n');

/** The data folder is missing or lacks what was asked for. Not retryable: a person must fix it. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
  readonly retryable = false;
  constructor(
    readonly dir: string,
    reason: string,
  ) {
    super(
      `${reason}\n` +
        `Sextant reads historical market data (never copied into the repository) from a folder laid out as:\n${LAYOUT}\n` +
        `By default that is ${DEFAULT_DATA_DIR} (../shared/data beside the repository). ` +
        `Point at another folder with --data <dir> or ${DATA_DIR_ENV}=<dir>.`,
    );
  }
}

export type DataDirOptions = Readonly<{ env?: NodeJS.ProcessEnv; cwd?: string }>;

const given = (s: string | undefined): string | undefined => (s === undefined || s.trim() === '' ? undefined : s);

/**
 * Where market data is read from: the explicit value (a `--data` flag or config), else
 * `$SEXTANT_DATA_DIR`, else {@link DEFAULT_DATA_DIR}. A relative path is taken from `cwd` (the
 * process's working directory), as a shell user expects of a flag. Does not check the folder.
 */
export function resolveDataDir(explicit?: string, opts: DataDirOptions = {}): string {
  const env = opts.env ?? process.env;
  const chosen = given(explicit) ?? given(env[DATA_DIR_ENV]) ?? DEFAULT_DATA_DIR;
  return resolve(opts.cwd ?? process.cwd(), chosen);
}

const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

/** A freqtrade data file name among `names` (a folder's entries). */
const holdsFreqtrade = (names: readonly string[]): boolean => names.some((n) => freqtradeFileName(n) !== undefined);

/**
 * Whether `p` is a freqtrade exchange folder (`user_data/data/<exchange>`): it holds freqtrade
 * OHLCV files (`BTC_USDT-1h.feather`) or a `futures/` folder that does.
 */
export function isFreqtradeDir(p: string): boolean {
  if (!isDir(p)) return false;
  if (holdsFreqtrade(readdirSync(p))) return true;
  const futures = join(p, 'futures');
  return isDir(futures) && holdsFreqtrade(readdirSync(futures));
}

/**
 * {@link resolveDataDir}, then checks the folder exists and holds `ohlcv/` (or is a freqtrade exchange folder); throws a
 * {@link DataDirError} saying which folder was tried, what it must contain and how to point
 * elsewhere. Commands call this before connecting to anything.
 */
export function requireDataDir(explicit?: string, opts: DataDirOptions = {}): string {
  const dir = resolveDataDir(explicit, opts);
  if (!existsSync(dir)) throw new DataDirError(dir, `market data folder ${dir} does not exist.`);
  if (!statSync(dir).isDirectory()) throw new DataDirError(dir, `market data path ${dir} is not a folder.`);
  if (!isDir(join(dir, 'ohlcv')) && !isFreqtradeDir(dir)) throw new DataDirError(dir, `market data folder ${dir} has no ohlcv/ folder and no freqtrade <BASE>_<QUOTE>-<tf>.<ext> files.`);
  return dir;
}

/** The venue of a file in a flat folder, whose name says nothing of it (commands use the config's). */
export const UNKNOWN_VENUE = 'unknown';

/** One OHLCV file, with what its folder and name say about it. */
export type BarFile = Readonly<{
  path: string;
  /** `binance` from `ohlcv/binance_spot_5m/` (or freqtrade's `binance/`). */
  venue: string;
  /** `spot` from `ohlcv/binance_spot_5m/` (freqtrade: `futures` for `futures/…-futures.<ext>`). */
  market: string;
  /** ccxt unified symbol: `BTC/USDT` from `BTC_USDT_5m_….csv` (freqtrade: `BTC/USDT:USDT` from `BTC_USDT_USDT-1h-futures.feather`). */
  symbol: string;
  timeframe: Timeframe;
}>;

const FOLDER_RE = /^([a-z0-9]+)_([a-z0-9]+)_(\w+)$/i;
const FILE_RE = /^([A-Z0-9]+)_([A-Z0-9]+)_(\w+?)(?:_[^/]*)?\.csv$/i;

const tryTimeframe = (tf: string): Timeframe | undefined => {
  try {
    return parseTimeframe(tf);
  } catch {
    return undefined;
  }
};

/**
 * What a bar file's name says of it (`BTC_USDT_5m_2024-01_2024-09.csv` → BTC/USDT, 5m;
 * freqtrade's `BTC_USDT-1h.feather` → BTC/USDT, 1h), or undefined when it does not follow
 * `<BASE>_<QUOTE>_<tf>[_…].csv` or freqtrade's naming with a known timeframe.
 */
export function barFileName(name: string): Readonly<{ symbol: string; timeframe: Timeframe }> | undefined {
  const ft = freqtradeFileName(name);
  if (ft !== undefined) return { symbol: ft.symbol, timeframe: ft.timeframe };
  const m = FILE_RE.exec(name);
  const timeframe = m === null ? undefined : tryTimeframe(m[3]!);
  return m === null || timeframe === undefined ? undefined : { symbol: `${m[1]!.toUpperCase()}/${m[2]!.toUpperCase()}`, timeframe };
}

type BarFileFilter = Readonly<{ symbols?: readonly string[]; timeframe?: string }>;

/** The timeframe and symbol set a filter asks for (undefined: any). */
function wanted(filter: BarFileFilter): Readonly<{ tf: Timeframe | undefined; symbols: ReadonlySet<string> | undefined }> {
  return { tf: filter.timeframe === undefined ? undefined : parseTimeframe(filter.timeframe), symbols: filter.symbols === undefined ? undefined : new Set(filter.symbols) };
}

/** `BTC/USDT` from a file name's match, or undefined when the filter does not want that symbol. */
function wantedSymbol(m: RegExpExecArray, symbols: ReadonlySet<string> | undefined): string | undefined {
  const symbol = `${m[1]!.toUpperCase()}/${m[2]!.toUpperCase()}`;
  return symbols === undefined || symbols.has(symbol) ? symbol : undefined;
}

/**
 * Lists the OHLCV files `ohlcv/<venue>_<market>_<tf>/<BASE>_<QUOTE>_<tf>*.csv`, optionally only
 * some symbols (`BTC/USDT`) and one timeframe, sorted by symbol, timeframe and name (so the
 * eras of one symbol come in time order). Folders and files that do not follow the pattern, or
 * whose timeframe Sextant does not know, are left out ({@link unreadBarFiles} names them, for the
 * commands' warnings). Several files per symbol are normal (two 5m eras): merge them with
 * `mergeByTime`. The freqtrade files of the folder are listed with them (a freqtrade exchange
 * folder without `ohlcv/`: with its own `<BASE>_<QUOTE>_<tf>….csv` files); a symbol and timeframe
 * in a freqtrade file and another file is a {@link DataDirError} naming both.
 *
 * @example findBarFiles(requireDataDir(flag), { symbols: ['BTC/USDT'], timeframe: '5m' })
 */
export function findBarFiles(dataDir: string, filter: BarFileFilter = {}): BarFile[] {
  return refuseOverlaps(dataDir, listBarFiles(dataDir, filter));
}

/**
 * {@link findBarFiles} before the overlap check: `ohlcv/`'s files and a freqtrade folder's (its
 * own CSV bar files too when it has no `ohlcv/`: a flat folder holding both is read whole).
 */
function listBarFiles(dataDir: string, filter: BarFileFilter): BarFile[] {
  const hasOhlcv = isDir(join(dataDir, 'ohlcv'));
  const freqtrade = isFreqtradeDir(dataDir);
  if (!hasOhlcv && !freqtrade) throw new DataDirError(dataDir, `market data folder ${dataDir} has no ohlcv/ folder.`);
  const csv = hasOhlcv ? ohlcvFiles(dataDir, filter) : flatCsvFiles(dataDir, filter);
  return sortBarFiles([...csv, ...(freqtrade ? findFreqtradeFiles(dataDir, filter) : [])]);
}

/** The files of `ohlcv/<venue>_<market>_<tf>/` folders. */
function ohlcvFiles(dataDir: string, filter: BarFileFilter): BarFile[] {
  const ohlcv = join(dataDir, 'ohlcv');
  const { tf: wantTf, symbols: wantSymbols } = wanted(filter);
  const out: BarFile[] = [];
  for (const folder of readdirSync(ohlcv).sort()) {
    const f = FOLDER_RE.exec(folder);
    const timeframe = f === null ? undefined : tryTimeframe(f[3]!);
    if (f === null || timeframe === undefined || (wantTf !== undefined && timeframe !== wantTf) || !isDir(join(ohlcv, folder))) continue;
    for (const name of readdirSync(join(ohlcv, folder)).sort()) {
      const m = FILE_RE.exec(name);
      const symbol = m === null || m[3] !== f[3] ? undefined : wantedSymbol(m, wantSymbols);
      if (symbol === undefined) continue;
      out.push({ path: join(ohlcv, folder, name), venue: f[1]!.toLowerCase(), market: f[2]!.toLowerCase(), symbol, timeframe });
    }
  }
  return out;
}

/** The `<BASE>_<QUOTE>_<tf>[_…].csv` files of a flat folder (venue and market `unknown`: the name says neither). */
function flatCsvFiles(dir: string, filter: BarFileFilter): BarFile[] {
  const { tf: wantTf, symbols: wantSymbols } = wanted(filter);
  const out: BarFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    const m = FILE_RE.exec(name);
    const timeframe = m === null ? undefined : tryTimeframe(m[3]!);
    if (m === null || timeframe === undefined || (wantTf !== undefined && timeframe !== wantTf)) continue;
    const symbol = wantedSymbol(m, wantSymbols);
    if (symbol !== undefined) out.push({ path: join(dir, name), venue: UNKNOWN_VENUE, market: 'unknown', symbol, timeframe });
  }
  return out;
}

/**
 * `files` as they are, or a {@link DataDirError} naming the files when a freqtrade file and
 * another file hold the same symbol and timeframe (`BTC_USDT_1h.csv` beside `BTC_USDT-1h.feather`,
 * or the same pair in two freqtrade formats): a freqtrade file is its pair's whole history, so
 * the two overlap, and which one's bars to trust is the user's call, not a silent merge. Several
 * CSV files of one symbol are eras, merged by time as always.
 */
function refuseOverlaps(dir: string, files: readonly BarFile[]): BarFile[] {
  const groups = new Map<string, BarFile[]>();
  for (const f of files) {
    const key = `${f.symbol} ${f.timeframe}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const clashes = [...groups].filter(([, g]) => g.length > 1 && g.some((f) => freqtradeFileName(basename(f.path)) !== undefined));
  if (clashes.length === 0) return [...files];
  const rel = (f: BarFile): string => relative(dir, f.path);
  throw new DataDirError(
    dir,
    `${dir} holds ${clashes.map(([key, g]) => `${key} in ${g.length} files (${g.map(rel).join(', ')})`).join('; ')}: a freqtrade file holds its pair's whole history, so another file of the same symbol and timeframe overlaps it. Keep one (move the other out of the folder).`,
  );
}

/** By symbol, timeframe and path (so the eras of one symbol come in time order). */
function sortBarFiles(files: BarFile[]): BarFile[] {
  const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const rank = (tf: Timeframe): number => TIMEFRAMES.indexOf(tf);
  return files.sort((a, b) => byText(a.symbol, b.symbol) || rank(a.timeframe) - rank(b.timeframe) || byText(a.path, b.path));
}

/**
 * The OHLCV files of a freqtrade exchange folder: spot `<PAIR>-<tf>.<ext>` in it, futures
 * `<PAIR>-<tf>-futures.<ext>` in its `futures/` folder; the venue is the folder's name (the ccxt
 * exchange id freqtrade names it by), {@link UNKNOWN_VENUE} when that is no such id.
 */
function findFreqtradeFiles(dir: string, filter: BarFileFilter): BarFile[] {
  const { tf: wantTf, symbols: wantSymbols } = wanted(filter);
  const venue = freqtradeVenueOf(dir) ?? UNKNOWN_VENUE;
  const out: BarFile[] = [];
  for (const [folder, market] of [[dir, 'spot'], [join(dir, 'futures'), 'futures']] as const) {
    if (!isDir(folder)) continue;
    for (const name of readdirSync(folder).sort()) {
      const ft = freqtradeFileName(name);
      if (ft === undefined || ft.market !== market || (wantTf !== undefined && ft.timeframe !== wantTf) || (wantSymbols !== undefined && !wantSymbols.has(ft.symbol))) continue;
      out.push({ path: join(folder, name), venue, market, symbol: ft.symbol, timeframe: ft.timeframe });
    }
  }
  return out;
}

/**
 * The data folder (the one holding `ohlcv/`, or a freqtrade exchange folder) that `path` is or
 * lies in: the folder itself, its `ohlcv/` folder, one `ohlcv/<venue>_<market>_<tf>/` folder of
 * it, or a freqtrade exchange folder's `futures/`; undefined otherwise.
 */
export function dataRootOf(path: string): string | undefined {
  const p = resolve(path);
  if (isDir(join(p, 'ohlcv'))) return p;
  // Before the folder itself: futures/ holds freqtrade files too, but they are read from its parent.
  if (basename(p) === 'futures' && isFreqtradeDir(dirname(p))) return dirname(p);
  if (isFreqtradeDir(p)) return p;
  if (basename(p) === 'ohlcv' && isDir(p)) return dirname(p);
  if (FOLDER_RE.test(basename(p)) && basename(dirname(p)) === 'ohlcv' && isDir(p)) return dirname(dirname(p));
  return undefined;
}

/**
 * The venue a bar file's folder says (`binance` for `…/ohlcv/binance_spot_1h/BTC_USDT_1h.csv`, and
 * for freqtrade's `…/binance/BTC_USDT-1h.feather` or `…/binance/futures/BTC_USDT_USDT-1h-futures.feather`),
 * or {@link UNKNOWN_VENUE} for a file elsewhere.
 */
export function venueOfBarFile(path: string): string {
  const folder = dirname(resolve(path));
  const ft = freqtradeFileName(basename(path));
  if (ft !== undefined) return freqtradeVenueOf(ft.market === 'futures' && basename(folder) === 'futures' ? dirname(folder) : folder) ?? UNKNOWN_VENUE;
  const f = FOLDER_RE.exec(basename(folder));
  return f !== null && basename(dirname(folder)) === 'ohlcv' ? f[1]!.toLowerCase() : UNKNOWN_VENUE;
}

/**
 * {@link findBarFiles} for a folder given on the command line: a data folder, its `ohlcv/`
 * folder, one `ohlcv/<venue>_<market>_<tf>/` folder (only its files), a freqtrade exchange
 * folder (`user_data/data/binance`) or its `futures/` folder (only the futures), or any folder of files
 * named `<BASE>_<QUOTE>_<tf>[_…].csv` (venue and market `unknown`), freqtrade files beside them
 * read too. Throws a {@link DataDirError} when the folder holds none of these (naming the files it
 * holds that are not read), or when a freqtrade file and another hold one symbol and timeframe.
 */
export function findBarFilesUnder(path: string, filter: BarFileFilter = {}): BarFile[] {
  const p = resolve(path);
  if (!isDir(p)) throw new DataDirError(p, `market data folder ${p} does not exist or is not a folder.`);
  const root = dataRootOf(p);
  if (root !== undefined) {
    const inside = root === p || basename(p) === 'ohlcv' ? undefined : `${p}/`;
    return refuseOverlaps(p, listBarFiles(root, filter).filter((f) => inside === undefined || f.path.startsWith(inside)));
  }
  const out = flatCsvFiles(p, filter);
  if (out.length === 0 && readdirSync(p).every((n) => FILE_RE.exec(n) === null)) {
    throw new DataDirError(
      p,
      `${p} holds no ohlcv/ folder, no files named <BASE>_<QUOTE>_<timeframe>….csv and no freqtrade files (<BASE>_<QUOTE>-<timeframe>.feather, .json, .json.gz or .parquet, futures/<BASE>_<QUOTE>_<SETTLE>-<timeframe>-futures.<ext>).${unreadFilesNote(unreadBarFiles(p), p)}`,
    );
  }
  return out;
}

/** Why a `<BASE>_<QUOTE>_<tf>….csv` file is not read: its timeframe (that of its `ohlcv/` folder, `inFolder`) is not one Sextant knows. */
function unreadCsv(name: string, inFolder: string | undefined): Readonly<{ symbol: string; kind: 'timeframe' }> | undefined {
  const m = FILE_RE.exec(name);
  if (m === null || (inFolder !== undefined && m[3] !== inFolder) || tryTimeframe(m[3]!) !== undefined || !TIMEFRAME_LIKE.test(m[3]!)) return undefined;
  return { symbol: `${m[1]!.toUpperCase()}/${m[2]!.toUpperCase()}`, kind: 'timeframe' };
}

/**
 * The files under a folder given on the command line (as {@link findBarFilesUnder} takes it) that
 * look like bar files but are not read, of `symbols` only when given: bars of a timeframe Sextant
 * does not know (`BTC_USDT-3m.feather`, `BTC_USDT_2h.csv`, `ohlcv/binance_spot_2h/`), freqtrade's
 * mark, index, premium-index and funding-rate candles, its trades and its hdf5 files. The commands
 * warn of them ({@link unreadFileWarnings}) and name them when a symbol has no bar file.
 */
export function unreadBarFiles(path: string, filter: Pick<BarFileFilter, 'symbols'> = {}): UnreadFile[] {
  const p = resolve(path);
  if (!isDir(p)) return [];
  const root = dataRootOf(p);
  const hasOhlcv = root !== undefined && isDir(join(root, 'ohlcv'));
  // Each folder read, with the timeframe its name says (ohlcv/<venue>_<market>_<tf>/) and whether its CSV files are read.
  const folders: [string, string | undefined, boolean][] = root === undefined ? [[p, undefined, true]] : [[root, undefined, !hasOhlcv], [join(root, 'futures'), undefined, false]];
  if (hasOhlcv) {
    const ohlcv = join(root, 'ohlcv');
    for (const folder of readdirSync(ohlcv).sort()) {
      const f = FOLDER_RE.exec(folder);
      if (f !== null && isDir(join(ohlcv, folder))) folders.push([join(ohlcv, folder), f[3], true]);
    }
  }
  const inside = root === undefined || root === p || basename(p) === 'ohlcv' ? undefined : `${p}/`;
  const out: UnreadFile[] = [];
  for (const [dir, tf, csv] of folders) {
    if (!isDir(dir) || (inside !== undefined && !`${dir}/`.startsWith(inside))) continue;
    for (const name of readdirSync(dir).sort()) {
      const found = (tf === undefined ? unreadFreqtradeFile(name) : undefined) ?? (csv ? unreadCsv(name, tf) : undefined);
      if (found !== undefined && (filter.symbols === undefined || filter.symbols.includes(found.symbol))) out.push({ path: join(dir, name), ...found });
    }
  }
  return out;
}
