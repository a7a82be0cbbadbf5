import { describe, expect, it } from 'vitest';
import { restoredDecidedMarks } from '../../cli/restored-decided-marks.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';

const A = 'asset:binance:BTC/USDT';

describe('the decided marks read back from the stored risk row', () => {
  it('reads them from the row beside the book', () => {
    expect(restoredDecidedMarks({ book: {}, seen: [], decided: [[A, 42, 1_700_000_000_000]] }, silentLogger)).toEqual([[A, 42, 1_700_000_000_000]]);
  });

  it('has none for a first start or a book stored before them (every event is decided, as before)', () => {
    expect(restoredDecidedMarks(undefined, silentLogger)).toEqual([]);
    expect(restoredDecidedMarks({ book: {}, seen: [] }, silentLogger)).toEqual([]);
  });

  it('leaves out, saying so, a part that is not valid', () => {
    const errors: string[] = [];
    const log: Logger = { ...silentLogger, error: (_, m) => void errors.push(m), child: () => log };
    expect(restoredDecidedMarks({ book: {}, seen: [], decided: [[A, -1, 0]] }, log)).toEqual([]);
    expect(restoredDecidedMarks({ book: {}, seen: [], decided: 'lost' }, log)).toEqual([]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('the decided marks stored with the risk book are not valid: every redelivered event is decided again');
  });
});
