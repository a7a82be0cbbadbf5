import { describe, expect, it } from 'vitest';
import { requestSpacer } from '../../../gateways/market-data/request-spacer.js';

describe('request spacer', () => {
  it('grants turns at least minGap apart, in the order asked, and lets an idle caller through at once', async () => {
    let t = 1_000;
    const waits: number[] = [];
    const granted: number[] = [];
    const turn = requestSpacer(
      100,
      () => t,
      async (ms) => {
        waits.push(ms);
        const late = waits.length === 1 ? 30 : 0; // the first timer fires 30 ms late
        await new Promise((r) => setImmediate(r));
        t += ms + late;
      },
    );
    await Promise.all([0, 1, 2].map(() => turn().then(() => granted.push(t))));
    // Three feeds ask at once: 1000, then 100 after each actual grant (the late one pushes the next).
    expect(granted).toEqual([1_000, 1_130, 1_230]);
    expect(waits).toEqual([100, 100]);
    t += 40; // 1270: the next turn is due at 1330
    await turn();
    expect(t).toBe(1_330);
    t += 1_000; // idle: no wait
    await turn();
    expect(waits).toEqual([100, 100, 60]);
  });

  it('lets a waiting caller go when its signal aborts, and the next one still waits its gap from then', async () => {
    let t = 0;
    const turn = requestSpacer(
      100,
      () => t,
      async (ms, signal) => {
        if (signal?.aborted !== true) t += ms;
      },
    );
    await turn();
    const ac = new AbortController();
    ac.abort();
    await turn(ac.signal);
    expect(t).toBe(0);
    await turn();
    expect(t).toBe(100);
  });
});
