import { sourceId } from '../../streams/messages/common.js';
import { tradeId } from '../../streams/messages/trade.js';
import type { Trade } from '../../streams/messages/trade.js';
import { columnsFor, detectFormat } from './csv-format.js';
import { checkInstrument, checkWindow, readRows } from './read-rows.js';
import type { Instrument, ParserFactory, ReadWindow, RowParser } from './read-rows.js';
import { RowProblem } from './row-scanner.js';
import { SourceError } from './source-error.js';

export type TradeReadOptions = Instrument & ReadWindow;
/** What `TradeSchema` takes as an id (`sourceId`). */
const MAX_ID_CHARS = sourceId.maxLength ?? Infinity;
type Side = Trade['side'];

/** freqtrade writes the taker side; ccxt leaves it empty when the venue does not say. */
function freqtradeSide(raw: string | undefined): Side {
  if (raw === 'buy' || raw === 'sell') return raw;
  if (raw === '') return 'unknown';
  const lower = raw?.toLowerCase();
  if (lower === 'buy' || lower === 'sell') return lower;
  throw new RowProblem(`side ${JSON.stringify(raw ?? '')} is not buy, sell or empty`);
}

/** Binance `isBuyerMaker`: the buyer's order rested, so the taker sold. */
function nautilusSide(raw: string | undefined): Side {
  switch (raw) {
    case 'True':
    case 'true':
    case '1':
      return 'sell';
    case 'False':
    case 'false':
    case '0':
      return 'buy';
    default:
      throw new RowProblem(`buyer_maker ${JSON.stringify(raw ?? '')} is not True or False`);
  }
}

/**
 * Trade rows → {@link Trade}, either layout: freqtrade (`timestamp,id,side,price,amount,cost`)
 * or nautilus (`timestamp,trade_id,price,quantity,buyer_maker`). The id is derived from the
 * venue's own trade id, so the same trade read twice (or also seen live) has the same id.
 */
export function tradeParser(opts: Instrument): ParserFactory<Trade> {
  const { venue, symbol } = opts;
  const make = (venueId: string, price: number, qty: number, side: Side, ts: number): Trade => {
    const id = tradeId(venue, symbol, venueId);
    // Refused here, with its file and line, rather than published for every asset actor to refuse.
    if (id.length > MAX_ID_CHARS) throw new RowProblem(`trade id of ${venueId.length} characters makes a message id of ${id.length}, over the ${MAX_ID_CHARS} a market-data id may hold`);
    return { type: 'md.trade', v: 1, id, venue, symbol, price, qty, side, ts };
  };
  return (header, file): RowParser<Trade> => {
    const format = detectFormat(header);
    if (format === 'nautilus-trades') {
      const c = columnsFor(header, file, format);
      return {
        width: header.length,
        tsColumn: c.timestamp,
        strictOrder: false,
        build: (row, ts) =>
          make(row.text(c.trade_id, 'trade_id'), row.positive(c.price, 'price'), row.positive(c.quantity, 'quantity'), nautilusSide(row.raw(c.buyer_maker)), ts),
      };
    }
    if (format === 'freqtrade-trades') {
      const c = columnsFor(header, file, format);
      return {
        width: header.length,
        tsColumn: c.timestamp,
        strictOrder: false,
        build: (row, ts) => make(row.text(c.id, 'id'), row.positive(c.price, 'price'), row.positive(c.amount, 'amount'), freqtradeSide(row.raw(c.side)), ts),
      };
    }
    throw new SourceError(
      file,
      1,
      `not a trades file: header ${JSON.stringify(header.join(','))} is neither freqtrade (timestamp,id,side,price,amount,…) nor nautilus (timestamp,trade_id,price,quantity,buyer_maker)`,
    );
  };
}

/**
 * Streams the trades of a freqtrade- or nautilus-style CSV; the layout is read from the header.
 * `side` is the taker's side.
 */
export function readTrades(path: string, opts: TradeReadOptions): AsyncIterableIterator<Trade> {
  checkInstrument(opts);
  checkWindow(opts);
  return readRows(path, tradeParser(opts), opts);
}
