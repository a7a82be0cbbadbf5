import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBars } from '../../gateways/historical/bars-csv.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { testDataDir } from '../support/data-dir.js';
import { BTC, makeTrade, makeWorld, publishAll, reference, startActor, storedVectors, until } from './harness.js';

const HOURS = 40;
const FROM = Date.UTC(2026, 2, 24);

async function load(tf: '1m' | '1h', limit: number): Promise<Bar[]> {
  const file = resolve(testDataDir(), tf === '1h' ? 'ohlcv/binance_spot_1h/BTC_USDT_1h.csv' : 'ohlcv/binance_spot_1m/BTC_USDT_1m_2026-03_2026-04.csv');
  const out: Bar[] = [];
  for await (const b of readBars(file, { ...BTC, tf, from: FROM, limit })) out.push(b);
  return out;
}

/**
 * Live, the gateway publishes bars of several timeframes per asset (`marketData.timeframes`,
 * 1m and 1h by default) onto the subjects one asset actor reads. Each timeframe's indicators are
 * over bars of that timeframe alone, as training computes them: an SMA-20 over 1h bars and twenty
 * minutes between them is neither.
 */
describe('asset actor fed bars of two timeframes', () => {
  /** Stream order as live: each hour's minutes (and a trade), then the hour bar once it closed. */
  const interleave = (hours: readonly Bar[], minutes: readonly Bar[]): MarketData[] => {
    const msgs: MarketData[] = [];
    for (let h = 0; h < hours.length; h++) {
      msgs.push(...minutes.slice(h * 60, h * 60 + 60));
      msgs.push(makeTrade(h, (hours[h] as Bar).ts + 3_599_000));
      msgs.push(hours[h] as Bar);
    }
    return msgs;
  };

  it('computes each bar vector from the bars of its own timeframe (real BTC 1m and 1h bars)', async () => {
    const hours = await load('1h', HOURS);
    const minutes = await load('1m', HOURS * 60);
    expect(hours).toHaveLength(HOURS);
    expect(minutes).toHaveLength(HOURS * 60);
    const msgs = interleave(hours, minutes);
    const w = await makeWorld();
    const actor = await startActor(w);
    await publishAll(w, msgs);
    await until(() => w.counters.messagesIn === msgs.length, 'every message handled');
    await actor.stop();

    const ticks = (upTo: number): MarketData[] => msgs.slice(0, upTo + 1).filter((m) => m.type === 'md.trade');
    const bySource = new Map((await storedVectors(w)).map((v) => [v.source, v]));
    for (const h of [19, 33, HOURS - 1]) {
      const bar = hours[h] as Bar;
      const upTo = msgs.indexOf(bar);
      const want = reference([...ticks(upTo), ...hours.slice(0, h + 1)]);
      expect(bySource.get(bar.id)?.values, `vector of 1h bar ${h}`).toEqual(want);
    }
    const lastMinute = minutes[minutes.length - 1] as Bar;
    const want1m = reference([...ticks(msgs.indexOf(lastMinute)), ...minutes]);
    expect(bySource.get(lastMinute.id)?.values, 'vector of the last 1m bar').toEqual(want1m);
  });

  it('restarted from its snapshot mid-stream, stores the vectors of an uninterrupted run', async () => {
    const msgs = interleave(await load('1h', 30), await load('1m', 30 * 60));
    const run = async (cuts: readonly number[]) => {
      const w = await makeWorld();
      let from = 0;
      for (const cut of [...cuts, msgs.length]) {
        const actor = await startActor(w);
        await publishAll(w, msgs.slice(from, cut));
        await until(() => w.counters.messagesIn === cut, `handled up to ${cut}`);
        await actor.stop();
        from = cut;
      }
      // Bar vectors only: a tick's vector is one per batch, and batches end where the cuts are.
      return (await storedVectors(w)).filter((v) => v.source.startsWith('b:')).map((v) => [v.source, v.values] as const);
    };
    const whole = await run([]);
    expect(whole).toHaveLength(30 * 61);
    // Cuts before any bar, before the first 1h bar, and after both timeframes had bars.
    expect(await run([1, 45, 61, 62, 900])).toEqual(whole);
  });
});
