import { describe, expect, it } from 'vitest';
import { resumeAfterStored } from '../../gateways/replay-resume.js';
import type { StoredMark } from '../../gateways/replay-resume.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { Trade } from '../../streams/messages/trade.js';
import { collect } from './data.js';

const trade = (symbol: string, ts: number, n: number): Trade => ({ type: 'md.trade', v: 1, id: `t:binance:${symbol}:${n}`, venue: 'binance', symbol, price: 1, qty: 1, side: 'buy', ts });

const resumed = async (source: MarketData[], stored: Readonly<Record<string, StoredMark>>): Promise<{ out: string[]; skipped: string[]; asked: string[] }> => {
  const skipped: string[] = [];
  const asked: string[] = [];
  const out = await collect(
    resumeAfterStored(source, {
      subjectOf: (m) => m.symbol,
      lastStored: async (s) => {
        asked.push(s);
        return stored[s];
      },
      onSkip: (m) => void skipped.push(m.id),
    }),
  );
  return { out: out.map((m) => m.id), skipped, asked };
};

describe('resumeAfterStored', () => {
  it('leaves out, per subject, everything up to the stored newest message, and asks once per subject', async () => {
    const source = [trade('A', 1, 1), trade('B', 1, 1), trade('A', 2, 2), trade('A', 2, 3), trade('B', 2, 2), trade('A', 2, 4), trade('A', 3, 5)];
    const r = await resumed(source, { A: { ts: 2, id: 't:binance:A:3' } });
    expect(r.out).toEqual(['t:binance:B:1', 't:binance:B:2', 't:binance:A:4', 't:binance:A:5']);
    expect(r.skipped).toEqual(['t:binance:A:1', 't:binance:A:2', 't:binance:A:3']);
    expect(r.asked).toEqual(['A', 'B']);
  });

  it('goes on after the stored time when no message there has the stored id', async () => {
    const r = await resumed([trade('A', 1, 1), trade('A', 2, 2), trade('A', 3, 3)], { A: { ts: 2, id: 'other' } });
    expect(r.out).toEqual(['t:binance:A:3']);
  });

  it('publishes nothing when the stream already holds the whole source', async () => {
    const r = await resumed([trade('A', 1, 1), trade('A', 2, 2)], { A: { ts: 5, id: 'later' } });
    expect(r.out).toEqual([]);
    expect(r.skipped).toHaveLength(2);
  });
});
