import { describe, expect, it } from 'vitest';
import { requestSpacer } from '../../../gateways/market-data/request-spacer.js';

describe('request spacer', () => {
  it('sends at least minGap apart, in the order asked, and lets an idle caller through at once', async () => {
    let t = 1_000;
    const waits: number[] = [];
    const sent: number[] = [];
    const spaced = requestSpacer(
      100,
      () => t,
      async (ms) => {
        waits.push(ms);
        const late = waits.length === 1 ? 30 : 0; // the first timer fires 30 ms late
        await new Promise((r) => setImmediate(r));
        t += ms + late;
      },
    );
    const send = (): number => sent.push(t);
    await Promise.all([0, 1, 2].map(() => spaced(send)));
    // Three feeds ask at once: 1000, then 100 after each actual send (the late one pushes the next).
    expect(sent).toEqual([1_000, 1_130, 1_230]);
    expect(waits).toEqual([100, 100]);
    t += 40; // 1270: the next turn is due at 1330
    await spaced(send);
    expect(t).toBe(1_330);
    t += 1_000; // idle: no wait
    await spaced(send);
    expect(waits).toEqual([100, 100, 60]);
    expect(sent).toEqual([1_000, 1_130, 1_230, 1_330, 2_330]);
  });

  it('answers what the send returned, and passes on what it threw', async () => {
    let t = 0;
    const spaced = requestSpacer(
      10,
      () => t,
      async (ms) => {
        t += ms;
      },
    );
    expect(await spaced(() => 'answer')).toBe('answer');
    await expect(spaced(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await expect(
      spaced(() => {
        throw new Error('bad url');
      }),
    ).rejects.toThrow('bad url');
  });

  it('counts the gap from when the send returned: a thread held up at the send cannot bring the next one closer', async () => {
    // The grant comes at 0, but the send itself is only made (and returns) at 40 — the thread
    // was descheduled, or the call was slow. The next send must wait until 140, not 100.
    let t = 0;
    const sent: number[] = [];
    const spaced = requestSpacer(
      100,
      () => t,
      async (ms) => {
        t += ms;
      },
    );
    await spaced(() => {
      t += 40;
      sent.push(t);
    });
    await spaced(() => sent.push(t));
    expect(sent).toEqual([40, 140]);
  });

  it('lets a waiting caller go without sending when its signal aborts, and the next one still waits its gap', async () => {
    let t = 0;
    const spaced = requestSpacer(
      100,
      () => t,
      async (ms, signal) => {
        if (signal?.aborted !== true) t += ms;
      },
    );
    let calls = 0;
    await spaced(() => calls++);
    const ac = new AbortController();
    ac.abort();
    expect(await spaced(() => calls++, ac.signal)).toBeUndefined();
    expect(calls).toBe(1);
    expect(t).toBe(0);
    await spaced(() => calls++);
    expect(t).toBe(100);
    expect(calls).toBe(2);
  });
});
