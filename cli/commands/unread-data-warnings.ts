import { unreadBarFiles } from '../../gateways/data-dir.js';
import { unreadFileWarnings } from '../../gateways/unread-bar-files.js';

/**
 * The `warning: ` lines for the files of `symbols` under `data` that look like bars but are not
 * read (mark or funding-rate candles, a 3m file: `unreadBarFiles`), one per kind; none for a file
 * or a folder that holds no such file. Said once a command: a single backtest on its progress
 * stream, a walk-forward and a suite (whose backtests run with none), train and replay on stderr
 * themselves.
 */
export function unreadDataWarnings(data: string, symbols: readonly string[]): string[] {
  return unreadFileWarnings(unreadBarFiles(data, { symbols }), data).map((w) => `warning: ${w}`);
}
